import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExtractJwt } from 'passport-jwt';
import request from 'supertest';
import { AccessTokenVerifier, JwtAuthModule } from '../src';
import { TestIssuer } from '../src/testing';
import { CatalogController, MeController, OrdersController, fingerprint, garbageCredentials } from './fixtures';

jest.setTimeout(30_000);

/** Send raw header lines (supertest cannot repeat Authorization). */
function rawGet(
  app: INestApplication,
  path: string,
  authorization: string[],
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    // An array value goes out as one header line per element.
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { Authorization: authorization } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('JwtAuthModule on Express (forRoot, global guard, JWKS over http)', () => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] });
    await issuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          ...issuer.issuerOptions('jwks'),
          realm: 'orders',
          globalGuard: true,
          extractors: [ExtractJwt.fromUrlQueryParameter('access_token')],
        }),
      ],
      controllers: [OrdersController, CatalogController, MeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('serves a valid token and hands the principal and claims to @CurrentUser', async () => {
    const token = issuer.sign({ sub: 'alice', scope: 'orders:read', tenant: 't-1' }, { alg: 'ES256' });
    const res = await request(server).get('/orders').set(bearer(token)).expect(200);
    expect(res.body).toEqual({
      sub: 'alice',
      subject: 'alice',
      issuer: issuer.issuerUrl,
      scopes: ['orders:read'],
      tenant: 't-1',
      alg: 'ES256',
    });
  });

  it.each(['RS256', 'PS256', 'ES384', 'EdDSA'] as const)('accepts %s tokens from the JWKS', async (alg) => {
    const token = issuer.sign({ scope: 'orders:read' }, { alg });
    await request(server).get('/orders').set(bearer(token)).expect(200);
  });

  it('accepts the scheme in any case', async () => {
    const token = issuer.sign({ scope: 'orders:read' });
    await request(server).get('/orders').set('Authorization', `bEaReR ${token}`).expect(200);
  });

  it('answers 401 without an error attribute when no token is sent', async () => {
    const res = await request(server).get('/orders').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="orders"');
    expect(res.body).toEqual({ statusCode: 401, error: 'token_missing', message: expect.any(String) });
  });

  it('answers 401 invalid_token with a description for an expired token', async () => {
    const token = issuer.sign({ scope: 'orders:read' }, { expiresIn: -3600 });
    const res = await request(server).get('/orders').set(bearer(token)).expect(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="orders", error="invalid_token", error_description="[^"]+"$/,
    );
    expect(res.body.error).toBe('token_expired');
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    const other = await TestIssuer.create({ algorithms: ['RS256'], issuer: issuer.issuerUrl });
    const forged = other.sign({ scope: 'orders:read' }, { alg: 'RS256', kid: issuer.kid('RS256') });
    const res = await request(server).get('/orders').set(bearer(forged)).expect(401);
    expect(res.body.error).toBe('signature_invalid');
  });

  it('refuses a token for another audience', async () => {
    const token = issuer.sign({ scope: 'orders:read', aud: 'billing-api' });
    const res = await request(server).get('/orders').set(bearer(token)).expect(401);
    expect(res.body.error).toBe('audience_invalid');
  });

  it('answers 403 insufficient_scope with the missing scopes for a method-level requirement', async () => {
    const token = issuer.sign({ scope: 'orders:read' });
    const res = await request(server).post('/orders').set(bearer(token)).expect(403);
    // The scope attribute lists everything the resource needs: the handler's and the controller's scopes.
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="orders", error="insufficient_scope", error_description="${res.body.message}", scope="orders:write orders:read"`,
    );
    expect(res.body).toEqual({ statusCode: 403, error: 'insufficient_scope', message: expect.any(String) });
  });

  it('enforces the class-level scope on a handler with its own scope (no escape)', async () => {
    const writeOnly = issuer.sign({ sub: 'bob', scope: 'orders:write' });
    const res = await request(server).post('/orders').set(bearer(writeOnly)).expect(403);
    expect(res.body.error).toBe('insufficient_scope');
    const both = issuer.sign({ sub: 'bob', scope: 'orders:write orders:read' });
    await request(server).post('/orders').set(bearer(both)).expect(201, { created: true, by: 'bob' });
  });

  it('applies @AnyScope on top of the class requirement', async () => {
    await request(server)
      .get('/orders/admin')
      .set(bearer(issuer.sign({ scope: 'orders:read support' })))
      .expect(200);
    await request(server)
      .get('/orders/admin')
      .set(bearer(issuer.sign({ scope: 'orders:read' })))
      .expect(403);
    await request(server)
      .get('/orders/admin')
      .set(bearer(issuer.sign({ scope: 'support' })))
      .expect(403);
  });

  it('matches scopes exactly (no prefix or case games)', async () => {
    await request(server)
      .get('/orders')
      .set(bearer(issuer.sign({ scope: 'orders:readx ORDERS:READ orders' })))
      .expect(403);
  });

  it('lets @Public routes and controllers through the global guard, even with a bad token', async () => {
    await request(server).get('/orders/health').expect(200, { status: 'ok' });
    await request(server)
      .get('/catalog')
      .set('Authorization', 'Bearer not-a-jwt')
      .expect(200, { items: ['a', 'b'], user: null });
  });

  it('serves @OptionalAuth anonymously without a token but refuses an invalid one', async () => {
    await request(server).get('/me').expect(200, { anonymous: true, sub: null, hasToken: false });
    const token = issuer.sign({ sub: 'carol' });
    await request(server).get('/me').set(bearer(token)).expect(200, { anonymous: false, sub: 'carol', hasToken: true });
    const res = await request(server)
      .get('/me')
      .set(bearer(issuer.sign({ sub: 'carol' }, { expiresIn: -600 })))
      .expect(401);
    expect(res.body.error).toBe('token_expired');
  });

  it('protects handlers without any decorator under the global guard', async () => {
    await request(server).get('/me/strict').expect(401);
    await request(server)
      .get('/me/strict')
      .set(bearer(issuer.sign({ sub: 'dave' })))
      .expect(200, { sub: 'dave' });
  });

  it('hands the raw token to @AccessToken for relaying', async () => {
    const token = issuer.sign({ scope: 'orders:read' });
    await request(server)
      .get('/orders/relay')
      .set(bearer(token))
      .expect(200, { fingerprint: fingerprint(token) });
  });

  it('reads a token through a passport-jwt extractor', async () => {
    const token = issuer.sign({ sub: 'erin' });
    await request(server).get(`/me/query?access_token=${token}`).expect(200, { sub: 'erin', viaQuery: true });
  });

  it('answers 400 invalid_request for a header token plus an extractor hit', async () => {
    const token = issuer.sign({ sub: 'erin' });
    const res = await request(server).get(`/me/query?access_token=${token}`).set(bearer(token)).expect(400);
    expect(res.body.error).toBe('multiple_tokens');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="orders", error="invalid_request"/);
  });

  it('answers 400 for two Authorization headers even when Node keeps only the first', async () => {
    const token = issuer.sign({ sub: 'frank' });
    const res = await rawGet(app, '/me/strict', [`Bearer ${token}`, `Bearer ${token}`]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toBe('multiple_tokens');
  });

  it('answers 400 for comma-joined credentials', async () => {
    const token = issuer.sign({ sub: 'frank' });
    const res = await request(server)
      .get('/me/strict')
      .set('Authorization', `Bearer ${token}, Bearer ${token}`)
      .expect(400);
    expect(res.body.error).toBe('multiple_tokens');
  });

  it('never answers 2xx or 5xx to garbage credentials', async () => {
    const valid = issuer.sign({ scope: 'orders:read' });
    const wrong: string[] = [];
    for (const credentials of garbageCredentials(valid)) {
      const res = await request(server).get('/orders').set('Authorization', credentials);
      const challenged = /^Bearer realm="orders"/.test(String(res.headers['www-authenticate']));
      if (![400, 401].includes(res.status) || !challenged || res.text.includes(valid.split('.')[2])) {
        wrong.push(`${res.status} for ${credentials.slice(0, 50)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('exposes AccessTokenVerifier for direct use and key-source health', async () => {
    const verifier = app.get(AccessTokenVerifier);
    const principal = await verifier.verify(issuer.sign({ sub: 'gina' }, { alg: 'EdDSA' }));
    expect(principal.subject).toBe('gina');
    const state = verifier.getKeySourceStates()[issuer.issuerUrl];
    expect(state.status).toBe('fresh');
    expect(state.keyIds).toEqual(expect.arrayContaining([issuer.kid('RS256'), issuer.kid('EdDSA')]));
  });
});
