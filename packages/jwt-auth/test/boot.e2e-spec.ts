import { Controller, Get, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JwksClient } from 'jwks-rsa';
import request from 'supertest';
import {
  AccessTokenVerifier,
  CurrentUser,
  JwksRsaKeySource,
  JwtAuthModule,
  type JwtAuthModuleOptions,
  type KeySource,
} from '../src';
import { TestIssuer } from '../src/testing';

jest.setTimeout(30_000);

@Controller('whoami')
class WhoAmIController {
  @Get()
  whoami(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log = (message: unknown) => this.push('log', message);
  error = (message: unknown) => this.push('error', message);
  warn = (message: unknown) => this.push('warn', message);
  debug = (message: unknown) => this.push('debug', message);
  verbose = (message: unknown) => this.push('verbose', message);
  private push(level: string, message: unknown): void {
    this.lines.push({ level, message: String(message) });
  }
}

async function boot(options: JwtAuthModuleOptions & { globalGuard?: boolean }): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ globalGuard: true, ...options })],
    controllers: [WhoAmIController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

const eventually = async (check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('boot-time validation', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
  });

  it('refuses to boot without an audience, naming the option', async () => {
    const compile = Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ issuer: 'https://id.example.com', audience: [] })],
    }).compile();
    // With the single-issuer shorthand the option is named as written (`audience`, not `issuers[0].audience`).
    await expect(compile).rejects.toThrow(/Invalid option audience: is empty/);
  });

  it('refuses to boot without any issuer', async () => {
    await expect(Test.createTestingModule({ imports: [JwtAuthModule.forRoot({})] }).compile()).rejects.toThrow(
      /Invalid option issuer: no issuer is configured/,
    );
  });

  it('refuses to boot with both the shorthand and issuers', async () => {
    const options = { ...issuer.issuerOptions('static'), issuers: [issuer.issuerOptions('static')] };
    await expect(Test.createTestingModule({ imports: [JwtAuthModule.forRoot(options)] }).compile()).rejects.toThrow(
      /Invalid option issuers/,
    );
  });

  it('refuses plain-http JWKS URLs unless allowed', async () => {
    const compile = Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: 'https://id.example.com',
          audience: 'api',
          jwksUri: 'http://id.example.com/jwks',
        }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow(/jwksUri/);
  });

  it('refuses globalGuard returned from an async factory (it could not take effect)', async () => {
    const compile = Test.createTestingModule({
      imports: [
        JwtAuthModule.forRootAsync({
          useFactory: () => ({ ...issuer.issuerOptions('static'), globalGuard: true }) as JwtAuthModuleOptions,
        }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow(/Invalid option globalGuard/);
  });

  it('refuses a realm that would break the challenge header', async () => {
    const compile = Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), realm: 'a"b' })],
    }).compile();
    await expect(compile).rejects.toThrow(/Invalid option realm/);
  });
});

describe('key sources at run time', () => {
  it('boots while the issuer is down, refuses with 401, logs the outage and recovers', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    await issuer.start();
    issuer.setAvailable(false);
    const logger = new RecordingLogger();
    const app = await boot({
      ...issuer.issuerOptions('jwks'),
      logger,
      fetch: { backoffInitialMs: 20, backoffMaxMs: 50, cooldownMs: 20 },
    });
    try {
      const token = issuer.sign({ sub: 'early' });
      await eventually(async () => issuer.hits.jwks > 0);
      const refused = await request(app.getHttpServer())
        .get('/whoami')
        .set('Authorization', `Bearer ${token}`)
        .expect(401);
      expect(refused.body.error).toBe('keys_unavailable');
      expect(logger.lines).toContainEqual({ level: 'error', message: expect.stringContaining(issuer.issuerUrl) });

      issuer.setAvailable(true);
      await eventually(
        async () =>
          (await request(app.getHttpServer()).get('/whoami').set('Authorization', `Bearer ${token}`)).status === 200,
      );
      expect(logger.lines).toContainEqual({ level: 'log', message: expect.stringContaining('available again') });
      expect(app.get(AccessTokenVerifier).getKeySourceStates()[issuer.issuerUrl].status).toBe('fresh');
    } finally {
      await app.close();
      await issuer.stop();
    }
  });

  it('follows key rotation and retires a key dropped from the JWKS', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['RS256'] });
    await issuer.start();
    const app = await boot({ ...issuer.issuerOptions('jwks'), fetch: { cooldownMs: 50 } });
    try {
      const server = app.getHttpServer();
      const old = issuer.sign({ sub: 'old' }, { alg: 'RS256' });
      await request(server).get('/whoami').set('Authorization', `Bearer ${old}`).expect(200);
      await issuer.rotate('RS256', { removePrevious: true });
      await new Promise((resolve) => setTimeout(resolve, 80));
      const fresh = issuer.sign({ sub: 'new' }, { alg: 'RS256' });
      await request(server).get('/whoami').set('Authorization', `Bearer ${fresh}`).expect(200, { sub: 'new' });
      const res = await request(server).get('/whoami').set('Authorization', `Bearer ${old}`);
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 401, error: 'key_not_found' });
    } finally {
      await app.close();
      await issuer.stop();
    }
  });

  it('closes the key sources when the app shuts down', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    const source = issuer.keySource();
    const closable: KeySource = { ...source, close: jest.fn() };
    const app = await boot({ ...issuer.issuerOptions('key-source'), keySource: closable });
    await request(app.getHttpServer())
      .get('/whoami')
      .set('Authorization', `Bearer ${issuer.sign({ sub: 'k' })}`)
      .expect(200);
    expect(issuer.hits.keySource).toBe(1);
    await app.close();
    expect(closable.close).toHaveBeenCalledTimes(1);
  });

  it('verifies through a jwks-rsa JwksClient with JwksRsaKeySource', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['RS256', 'ES256'] });
    await issuer.start();
    const app = await boot({
      issuer: issuer.issuerUrl,
      audience: issuer.audience,
      algorithms: ['RS256', 'ES256'],
      keySource: new JwksRsaKeySource(new JwksClient({ jwksUri: issuer.jwksUri }), { url: issuer.jwksUri }),
    });
    try {
      const server = app.getHttpServer();
      for (const alg of ['RS256', 'ES256'] as const) {
        await request(server)
          .get('/whoami')
          .set('Authorization', `Bearer ${issuer.sign({ sub: alg }, { alg })}`)
          .expect(200, { sub: alg });
      }
      const unknownKid = issuer.sign({}, { alg: 'RS256', kid: 'no-such-kid' });
      expect(
        (await request(server).get('/whoami').set('Authorization', `Bearer ${unknownKid}`).expect(401)).body.error,
      ).toBe('key_not_found');
      issuer.setAvailable(false);
      const stranger = await TestIssuer.create({ algorithms: ['RS256'], issuer: issuer.issuerUrl });
      const res = await request(server)
        .get('/whoami')
        .set('Authorization', `Bearer ${stranger.sign({}, { alg: 'RS256' })}`)
        .expect(401);
      expect(res.body.error).toBe('keys_unavailable');
    } finally {
      await app.close();
      await issuer.stop();
    }
  });

  it('logs rejections with code, iss, kid and alg but never the token', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    const logger = new RecordingLogger();
    const app = await boot({ ...issuer.issuerOptions('static'), logger, rejectionLogLevel: 'debug' });
    try {
      const tokens = [
        issuer.sign({ sub: 'x' }, { expiresIn: -100 }),
        issuer.sign({ aud: 'elsewhere' }),
        issuer.sign({}, { kid: 'unknown-kid' }),
        `${issuer.sign({}).slice(0, -4)}AAAA`,
      ];
      for (const token of tokens)
        await request(app.getHttpServer()).get('/whoami').set('Authorization', `Bearer ${token}`).expect(401);
      const debug = logger.lines.filter((line) => line.level === 'debug').map((line) => line.message);
      expect(debug).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/code=token_expired iss="[^"]+" kid="es256-[^"]+" alg="ES256"/),
          expect.stringContaining('code=key_not_found'),
        ]),
      );
      for (const token of tokens) {
        for (const segment of token.split('.'))
          expect(logger.lines.some((line) => line.message.includes(segment))).toBe(false);
      }
    } finally {
      await app.close();
    }
  });
});
