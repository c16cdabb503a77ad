// Child process for the message benchmark: a Nest microservice (TCP or NATS) with one guarded and one public copy
// of a message handler; prints { port, subject prefix, token } once listening.
import 'reflect-metadata';
import { randomBytes, generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { JwtAuthModule, Public, RpcData, Scopes } from '../src/index';

const transport = (process.argv[2] ?? 'tcp') as 'tcp' | 'nats';
const verifiedTokenCacheSize = Number(process.argv[3] ?? 1000);
const prefix = process.argv[4] ?? `jwt-auth-bench.${randomBytes(4).toString('hex')}`;
const ISSUER = 'https://issuer.bench';
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function mint(): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({ iss: ISSUER, sub: 'bench', aud: 'bench-api', iat: now, exp: now + 3600, scope: 'stock:read' }),
  ).toString('base64url');
  const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${sig.toString('base64url')}`;
}

@Controller()
class BenchHandlers {
  @MessagePattern(`${prefix}.guarded`)
  @Scopes('stock:read')
  guarded(@RpcData() data: { n: number }): { n: number } {
    return { n: data.n };
  }

  @MessagePattern(`${prefix}.open`)
  @Public()
  open(@RpcData() data: { n: number }): { n: number } {
    return { n: data.n };
  }
}

@Module({
  imports: [
    JwtAuthModule.forRoot({
      issuer: ISSUER,
      audience: 'bench-api',
      algorithms: ['ES256'],
      keys: { key: pair.publicKey, kid: 'bench' },
      verifiedTokenCacheSize,
      globalGuard: true,
    }),
  ],
  controllers: [BenchHandlers],
})
class BenchModule {}

async function main(): Promise<void> {
  const options: MicroserviceOptions =
    transport === 'nats'
      ? { transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'], queue: prefix } }
      : { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(BenchModule, { ...options, logger: false });
  await app.listen();
  const port = transport === 'tcp' ? (app.unwrap<Server>().address() as AddressInfo).port : 0;
  process.stdout.write(`${JSON.stringify({ port, prefix, token: mint() })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
