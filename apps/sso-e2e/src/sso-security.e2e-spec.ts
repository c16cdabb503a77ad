import { generateKeyPairSync, sign } from 'node:crypto';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { createRpcAuthEnvelope } from '@nest-sso/jwt-auth';
import { INVENTORY_PATTERNS } from '@nest-sso/inventory-contracts';
import {
  ADMIN_PORTAL,
  ALICE,
  authorize,
  BILLING_WORKER,
  clientCredentialsToken,
  CookieJar,
  jwsHeader,
  refreshTokens,
  WEB_APP,
  type SsoSystem,
  type TokenResponse,
} from '@nest-sso/sso-demo';
import { firstValueFrom } from 'rxjs';
import { call, mintWithIdentityKey, startSystem } from './support/system';

async function refusal(reply: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await reply;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected inventory-service to refuse the message');
}

describe('SSO system: what the resource services refuse', () => {
  let system: SsoSystem;
  let alice: TokenResponse;
  let admin: TokenResponse;
  let inventory: ClientProxy;

  beforeAll(async () => {
    system = await startSystem();
    const jar = new CookieJar();
    alice = (await authorize(system.identityUrl, system.issuer, WEB_APP, jar, ALICE)).tokens;
    admin = (await authorize(system.identityUrl, system.issuer, ADMIN_PORTAL, jar)).tokens;
    inventory = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: system.inventoryTcpPort },
    });
    await inventory.connect();
  }, 60_000);

  afterAll(async () => {
    await inventory?.close();
    await system?.stop();
  });

  const orders = (path: string) => `${system.ordersUrl}${path}`;
  const stock = (payload: unknown) =>
    firstValueFrom(inventory.send<Record<string, unknown>>(INVENTORY_PATTERNS.getStock, payload));

  it('refuses an expired token signed with the identity key (401 invalid_token, token_expired)', async () => {
    // Control: the same minting with a live exp is accepted, so only exp differs.
    await expect(call('GET', orders('/me'), mintWithIdentityKey(system, {}))).resolves.toMatchObject({
      status: 200,
      body: { sub: 'alice' },
    });
    const now = Math.floor(Date.now() / 1000);
    const expired = mintWithIdentityKey(system, {
      iat: now - 900,
      exp: now - 300,
    });
    const answer = await call('GET', orders('/orders'), expired);
    expect(answer).toMatchObject({
      status: 401,
      body: { error: 'token_expired' },
    });
    expect(answer.challenge).toMatch(/^Bearer realm="orders-api", error="invalid_token"/);
    await expect(refusal(stock(createRpcAuthEnvelope(expired, { sku: 'SKU-1' })))).resolves.toMatchObject({
      status: 401,
      code: 'token_expired',
    });
  });

  it('refuses a token for another audience, at orders-api and at inventory-service', async () => {
    const machine = await clientCredentialsToken(
      system.identityUrl,
      BILLING_WORKER.clientId,
      BILLING_WORKER.clientSecret,
    );
    await expect(call('GET', orders('/orders'), machine.access_token)).resolves.toMatchObject({
      status: 401,
      body: { error: 'audience_invalid' },
    });
    // admin-portal tokens are for orders-api only: inventory-service refuses them.
    await expect(refusal(stock(createRpcAuthEnvelope(admin.access_token, { sku: 'SKU-1' })))).resolves.toMatchObject({
      status: 401,
      code: 'audience_invalid',
    });
  });

  it('answers 401 without an error code to a request without a token', async () => {
    await expect(call('GET', orders('/orders'))).resolves.toMatchObject({
      status: 401,
      challenge: 'Bearer realm="orders-api"',
    });
    await expect(call('GET', orders('/health'))).resolves.toMatchObject({
      status: 200,
    });
  });

  it('answers 403 insufficient_scope for a missing scope, at orders-api and relayed from inventory-service', async () => {
    const denied = await call('POST', orders('/orders'), admin.access_token, {
      sku: 'SKU-1',
      quantity: 1,
    });
    expect(denied.status).toBe(403);
    expect(denied.challenge).toMatch(/error="insufficient_scope".*scope="orders:write"/);
    // A web-app token narrowed to the orders scopes passes orders-api, and inventory-service refuses the relayed token.
    const narrowed = await fetch(`${system.identityUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: alice.refresh_token as string,
        client_id: 'web-app',
        scope: 'orders:read orders:write',
      }),
    }).then((r) => r.json() as Promise<TokenResponse>);
    alice = { ...alice, refresh_token: narrowed.refresh_token };
    expect(narrowed.scope).toBe('orders:read orders:write');
    const relayed = await call('POST', orders('/orders'), narrowed.access_token, { sku: 'SKU-1', quantity: 1 });
    expect(relayed.status).toBe(403);
    expect(relayed.challenge).toMatch(/error="insufficient_scope".*scope="inventory:reserve"/);
    await expect(call('GET', orders('/orders'), narrowed.access_token)).resolves.toMatchObject({
      status: 200,
      body: { orders: [] },
    });
  });

  it('lets inventory-service be reached only with a valid token: none, garbage or forged ones are refused', async () => {
    await expect(refusal(stock({ sku: 'SKU-1' }))).resolves.toMatchObject({
      status: 401,
      code: 'token_missing',
    });
    await expect(refusal(stock(createRpcAuthEnvelope('not.a.token', { sku: 'SKU-1' })))).resolves.toMatchObject({
      status: 401,
    });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [header, payload] = alice.access_token.split('.');
    const forged = `${header}.${payload}.${sign('sha256', Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    await expect(refusal(stock(createRpcAuthEnvelope(forged, { sku: 'SKU-1' })))).resolves.toMatchObject({
      status: 401,
      code: 'signature_invalid',
    });
    // What orders-api does when it relays: the user's own token in the envelope.
    await expect(stock(createRpcAuthEnvelope(alice.access_token, { sku: 'SKU-1' }))).resolves.toMatchObject({
      sku: 'SKU-1',
      available: expect.any(Number),
    });
  });

  it('accepts tokens signed before and after a key rotation', async () => {
    const before = mintWithIdentityKey(system, {});
    await system.rotateKeys();
    const after = await refreshTokens(system.identityUrl, WEB_APP, alice.refresh_token as string);
    alice = { ...alice, refresh_token: after.refresh_token };
    expect(jwsHeader(after.access_token).kid).not.toBe(jwsHeader(before).kid);
    await expect(call('GET', orders('/me'), before)).resolves.toMatchObject({
      status: 200,
    });
    await expect(call('GET', orders('/me'), after.access_token)).resolves.toMatchObject({
      status: 200,
      body: { sub: 'alice' },
    });
  });

  it('keeps accepting valid tokens with the identity service down, and refuses a key it never published', async () => {
    const valid = mintWithIdentityKey(system, {});
    await system.stopIdentity();
    await expect(fetch(`${system.identityUrl}/.well-known/jwks.json`)).rejects.toThrow();
    await expect(call('GET', orders('/me'), valid)).resolves.toMatchObject({
      status: 200,
      body: { sub: 'alice' },
    });
    await expect(stock(createRpcAuthEnvelope(valid, { sku: 'SKU-1' }))).resolves.toMatchObject({ sku: 'SKU-1' });
    await expect(call('POST', orders('/orders'), valid, { sku: 'SKU-1', quantity: 1 })).resolves.toMatchObject({
      status: 201,
    });
    const [, payload, signature] = valid.split('.');
    const unknownKid = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'never-published' })).toString('base64url')}.${payload}.${signature}`;
    await expect(call('GET', orders('/me'), unknownKid)).resolves.toMatchObject({ status: 401 });
  });
});
