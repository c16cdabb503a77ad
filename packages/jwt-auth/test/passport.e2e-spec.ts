import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { AuthGuard, PassportModule } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CurrentUser, JwtAuthModule, Scopes, ScopesGuard, type AuthPrincipal } from '../src';
import { JwtPassportStrategy } from '../src/passport';
import { TestIssuer } from '../src/testing';
import { garbageCredentials } from './fixtures';

jest.setTimeout(30_000);

@Controller('reports')
@UseGuards(AuthGuard('jwt'), ScopesGuard)
class ReportsController {
  @Get()
  list(@CurrentUser() user: AuthPrincipal, @CurrentUser('sub') sub: string) {
    return { sub, alg: user.header.alg, frozen: Object.isFrozen(user) };
  }

  @Get('export')
  @Scopes('reports:export')
  export(@CurrentUser('sub') sub: string) {
    return { exportedBy: sub };
  }
}

async function createApp(issuer: TestIssuer, platform: 'express' | 'fastify'): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('jwks'), realm: 'reports' }), PassportModule],
    controllers: [ReportsController],
    providers: [JwtPassportStrategy],
  }).compile();
  const app =
    platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return app;
}

describe.each(['express', 'fastify'] as const)("passport AuthGuard('jwt') backed by the verifier on %s", (platform) => {
  let issuer: TestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['RS256', 'ES256', 'EdDSA'] });
    await issuer.start();
    app = await createApp(issuer, platform);
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'accepts %s tokens and sets request.user to the principal',
    async (alg) => {
      const token = issuer.sign({ sub: `user-${alg}` }, { alg });
      await request(app.getHttpServer())
        .get('/reports')
        .set('Authorization', `Bearer ${token}`)
        .expect(200, { sub: `user-${alg}`, alg, frozen: true });
    },
  );

  it('answers 401 with the same challenge as JwtAuthGuard when no token is sent', async () => {
    const res = await request(app.getHttpServer()).get('/reports').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="reports"');
    expect(res.body).toEqual({ statusCode: 401, error: 'token_missing', message: expect.any(String) });
  });

  it('answers 401 invalid_token for a token signed with an unknown key', async () => {
    const stranger = await TestIssuer.create({ algorithms: ['EdDSA'], issuer: issuer.issuerUrl });
    const res = await request(app.getHttpServer())
      .get('/reports')
      .set('Authorization', `Bearer ${stranger.sign({}, { alg: 'EdDSA', kid: issuer.kid('EdDSA') })}`)
      .expect(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="reports", error="invalid_token", error_description="[^"]+"$/,
    );
    expect(res.body.error).toBe('signature_invalid');
  });

  it('answers 403 insufficient_scope through ScopesGuard', async () => {
    const res = await request(app.getHttpServer())
      .get('/reports/export')
      .set('Authorization', `Bearer ${issuer.sign({ scope: 'reports:read' }, { alg: 'ES256' })}`)
      .expect(403);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="reports", error="insufficient_scope", error_description="${res.body.message}", scope="reports:export"`,
    );
    await request(app.getHttpServer())
      .get('/reports/export')
      .set('Authorization', `Bearer ${issuer.sign({ sub: 'exp', scope: 'reports:export' }, { alg: 'ES256' })}`)
      .expect(200, { exportedBy: 'exp' });
  });

  it('answers 400 multiple_tokens for comma-joined credentials', async () => {
    const token = issuer.sign({});
    const res = await request(app.getHttpServer())
      .get('/reports')
      .set('Authorization', `Bearer ${token}, Bearer ${token}`)
      .expect(400);
    expect(res.body.error).toBe('multiple_tokens');
  });

  it('never answers 2xx or 5xx to garbage credentials', async () => {
    const valid = issuer.sign({});
    const wrong: string[] = [];
    for (const credentials of garbageCredentials(valid)) {
      const res = await request(app.getHttpServer()).get('/reports').set('Authorization', credentials);
      if (
        ![400, 401].includes(res.status) ||
        !String(res.headers['www-authenticate']).startsWith('Bearer realm="reports"')
      ) {
        wrong.push(`${res.status} for ${credentials.slice(0, 50)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
