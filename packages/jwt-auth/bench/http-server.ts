// Child process for the HTTP benchmark: a Fastify Nest app with one guarded and one public copy of an endpoint.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { constants, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { JwtAuthModule, Public } from '../src/index';

const alg = (process.argv[2] ?? 'RS256') as 'RS256' | 'ES256';
const verifiedTokenCacheSize = Number(process.argv[3] ?? 1000);
const ISSUER = 'https://issuer.bench';
const pair =
  alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });

function mint(): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: 'bench' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({
      iss: ISSUER,
      sub: 'bench-user',
      aud: 'bench-api',
      iat: now,
      exp: now + 3600,
      jti: randomBytes(8).toString('hex'),
      scope: 'orders:read',
    }),
  ).toString('base64url');
  const data = Buffer.from(`${header}.${payload}`);
  const sig =
    alg === 'ES256'
      ? sign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', data, { key: pair.privateKey, padding: constants.RSA_PKCS1_PADDING });
  return `${header}.${payload}.${sig.toString('base64url')}`;
}

@Controller()
class BenchController {
  @Get('guarded')
  guarded(): { ok: true } {
    return { ok: true };
  }

  @Public()
  @Get('open')
  open(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [
    JwtAuthModule.forRoot({
      issuer: ISSUER,
      audience: 'bench-api',
      algorithms: [alg],
      keys: { key: pair.publicKey, kid: 'bench' },
      verifiedTokenCacheSize,
      globalGuard: true,
    }),
  ],
  controllers: [BenchController],
})
class BenchModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ port, token: mint() })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
