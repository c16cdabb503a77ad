// Child process of the HTTP benchmark: a Nest app on Fastify or Express with JwtAuthModule (global guard, keys from
// a loopback JWKS), one guarded and one public copy of an endpoint answering like orders-api's GET /orders, and
// optionally TokenRelayModule.
import 'reflect-metadata';
import { Controller, Get, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { JwtAuthModule, Public, Scopes, TokenRelayModule } from '../src/index';

const [platform, issuer, jwksUri, cacheBytes, relay] = process.argv.slice(2);

@Controller()
class BenchController {
  @Get('guarded')
  @Scopes('orders:read')
  guarded(): { orders: unknown[] } {
    return { orders: [] };
  }

  @Public()
  @Get('open')
  open(): { orders: unknown[] } {
    return { orders: [] };
  }
}

@Module({})
class BenchModule {
  static forRoot(): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        JwtAuthModule.forRoot({
          issuer,
          jwksUri,
          allowInsecureHttp: true,
          audience: 'bench-api',
          algorithms: ['RS256', 'ES256', 'EdDSA'],
          verifiedTokenCacheMaxBytes: Number(cacheBytes),
          globalGuard: true,
        }),
        ...(relay === 'relay' ? [TokenRelayModule] : []),
      ],
      controllers: [BenchController],
    };
  }
}

async function main(): Promise<void> {
  const app =
    platform === 'express'
      ? await NestFactory.create(BenchModule.forRoot(), { logger: false })
      : await NestFactory.create(BenchModule.forRoot(), new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
