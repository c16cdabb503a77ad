// Child process of the service and HTTP benchmarks: a bare Nest app (no JwtAuthModule) on Fastify or Express with
// one controller that answers GET /orders like orders-api answers a user without orders, GET /guarded, the same behind
// a guard that returns true (the floor of any guard in Nest), and GET /refused, refused by a guard that throws a
// prebuilt 401 (the floor of any refusal in Nest).
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

// One exception, built once without a stack trace: what Nest itself spends to refuse a request from a guard.
const limit = Error.stackTraceLimit;
Error.stackTraceLimit = 0;
const REFUSAL = new UnauthorizedException();
Error.stackTraceLimit = limit;

@Injectable()
class RefusingGuard implements CanActivate {
  canActivate(): boolean {
    throw REFUSAL;
  }
}

@Injectable()
class PassingGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller()
class BareController {
  @Get('refused')
  @UseGuards(RefusingGuard)
  refused(): never {
    throw REFUSAL;
  }

  @Get('orders')
  orders(): { orders: unknown[] } {
    return { orders: [] };
  }

  @Get('guarded')
  @UseGuards(PassingGuard)
  guarded(): { orders: unknown[] } {
    return { orders: [] };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const platform = process.argv[2] ?? 'fastify';
  const app =
    platform === 'express'
      ? await NestFactory.create(BareModule, { logger: false })
      : await NestFactory.create(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
