import { Module, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { JwtAuthModule, type JwtAuthModuleOptions, type JwtAuthOptionsFactory } from '../src';
import { TestIssuer } from '../src/testing';
import { CatalogController, MeController, OrdersController, fingerprint, garbageCredentials } from './fixtures';

jest.setTimeout(30_000);

async function listen(moduleImports: unknown[]): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: moduleImports as never[],
    controllers: [OrdersController, CatalogController, MeController],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('JwtAuthModule on Fastify (forRootAsync with ConfigService, OIDC discovery)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['RS256', 'ES256', 'EdDSA'] });
    await issuer.start();
    app = await listen([
      ConfigModule.forRoot({
        ignoreEnvFile: true,
        load: [() => ({ auth: { issuer: issuer.issuerUrl, audience: issuer.audience, realm: 'catalog' } })],
      }),
      JwtAuthModule.forRootAsync({
        globalGuard: true,
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService): JwtAuthModuleOptions => ({
          issuer: config.getOrThrow<string>('auth.issuer'),
          audience: config.getOrThrow<string>('auth.audience'),
          realm: config.getOrThrow<string>('auth.realm'),
          discovery: true,
          allowInsecureHttp: true,
        }),
      }),
    ]);
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('finds the keys through discovery and serves a valid token', async () => {
    const token = issuer.sign({ sub: 'alice', scope: 'orders:read', tenant: 'acme' }, { alg: 'EdDSA' });
    const res = await request(server).get('/orders').set(bearer(token)).expect(200);
    expect(res.body).toMatchObject({ sub: 'alice', tenant: 'acme', alg: 'EdDSA', scopes: ['orders:read'] });
    expect(issuer.hits.discovery).toBeGreaterThanOrEqual(1);
    expect(issuer.hits.jwks).toBeGreaterThanOrEqual(1);
  });

  it('sets the challenge header on a Fastify reply', async () => {
    const missing = await request(server).get('/orders').expect(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="catalog"');
    expect(missing.body).toEqual({ statusCode: 401, error: 'token_missing', message: expect.any(String) });

    const expired = await request(server)
      .get('/orders')
      .set(bearer(issuer.sign({ scope: 'orders:read' }, { expiresIn: -120 })))
      .expect(401);
    expect(expired.headers['www-authenticate']).toMatch(
      /^Bearer realm="catalog", error="invalid_token", error_description="/,
    );
  });

  it('answers 403 with the scope attribute', async () => {
    const res = await request(server)
      .post('/orders')
      .set(bearer(issuer.sign({ scope: 'orders:read' })))
      .expect(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="orders:write orders:read"');
    await request(server)
      .post('/orders')
      .set(bearer(issuer.sign({ sub: 'z', scope: 'orders:read orders:write' })))
      .expect(201, { created: true, by: 'z' });
  });

  it('keeps @Public and @OptionalAuth semantics', async () => {
    await request(server).get('/orders/health').expect(200);
    await request(server).get('/catalog').expect(200);
    await request(server).get('/me').expect(200, { anonymous: true, sub: null, hasToken: false });
    await request(server)
      .get('/me')
      .set(bearer(issuer.sign({ sub: 'ann' }, { alg: 'ES256' })))
      .expect(200, { anonymous: false, sub: 'ann', hasToken: true });
    await request(server).get('/me').set(bearer('garbage')).expect(401);
  });

  it('hands the raw token to @AccessToken', async () => {
    const token = issuer.sign({ scope: 'orders:read' });
    await request(server)
      .get('/orders/relay')
      .set(bearer(token))
      .expect(200, { fingerprint: fingerprint(token) });
  });

  it('answers 400 for two Authorization headers on Fastify', async () => {
    const token = issuer.sign({ sub: 'x' });
    const res = await request(server)
      .get('/me/strict')
      .set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string)
      .expect(400);
    expect(res.body.error).toBe('multiple_tokens');
  });

  it('never answers 2xx or 5xx to garbage credentials', async () => {
    const valid = issuer.sign({ scope: 'orders:read' });
    const wrong: string[] = [];
    for (const credentials of garbageCredentials(valid)) {
      const res = await request(server).get('/orders').set('Authorization', credentials);
      if (
        ![400, 401].includes(res.status) ||
        !String(res.headers['www-authenticate']).startsWith('Bearer realm="catalog"')
      ) {
        wrong.push(`${res.status} for ${credentials.slice(0, 50)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('JwtAuthModule.forRootAsync with useClass on Fastify (static keys)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });

    class AuthConfig implements JwtAuthOptionsFactory {
      createJwtAuthOptions(): JwtAuthModuleOptions {
        return { issuers: [issuer.issuerOptions('static', { audience: ['other-api', issuer.audience] })] };
      }
    }
    @Module({ providers: [AuthConfig], exports: [AuthConfig] })
    class AuthConfigModule {}

    app = await listen([
      JwtAuthModule.forRootAsync({
        isGlobal: true,
        globalGuard: true,
        imports: [AuthConfigModule],
        useExisting: AuthConfig,
      }),
    ]);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('protects routes with the factory-provided issuers', async () => {
    await request(app.getHttpServer()).get('/me/strict').expect(401);
    await request(app.getHttpServer())
      .get('/me/strict')
      .set('Authorization', `Bearer ${issuer.sign({ sub: 'static-user' })}`)
      .expect(200, { sub: 'static-user' });
  });
});
