import type { AddressInfo, Server } from 'node:net';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, RpcException, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { CurrentUser, JwtAuthModule, RpcData, Scopes, type AuthPrincipal } from '@nest-sso/jwt-auth';
import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { INVENTORY_PATTERNS, type ReserveStockRequest } from '@nest-sso/inventory-contracts';
import { ServiceConfigError } from '@nest-sso/sso-config';
import { startOrdersApi, type OrdersApp } from './orders-app';
import { ordersConfigFromEnv } from './orders.config';
import { OrdersStore } from './orders.store';

jest.setTimeout(30_000);

/** A stand-in inventory-service on real TCP, guarded by the real JwtAuthModule like the real one. */
@Controller()
class StandInInventory {
  @MessagePattern(INVENTORY_PATTERNS.getStock)
  @Scopes('inventory:read')
  stock(@RpcData() query: { sku: string }) {
    return { sku: query.sku, available: 5, reserved: 1 };
  }

  @MessagePattern(INVENTORY_PATTERNS.reserve)
  @Scopes('inventory:reserve')
  reserve(@RpcData() request: ReserveStockRequest, @CurrentUser() caller: AuthPrincipal) {
    if (request.sku === 'SKU-EMPTY')
      throw new RpcException({
        status: 409,
        code: 'insufficient_stock',
        message: 'only 0 of SKU-EMPTY available',
      });
    if (request.sku === 'SKU-CRASH') throw new Error('boom');
    return {
      reservationId: `res-${request.reference}`,
      sku: request.sku,
      quantity: request.quantity,
      remaining: 7,
      reference: request.reference,
      reservedBy: caller.subject,
      clientId: caller.clientId ?? null,
    };
  }
}

describe('orders-api', () => {
  let issuer: TestIssuer;
  let inventory: INestMicroservice;
  let inventoryPort: number;
  let orders: OrdersApp;

  const env = (extra: Record<string, string> = {}) => ({
    AUTH_ISSUER: issuer.issuerUrl,
    AUTH_AUDIENCE: 'orders-api',
    AUTH_ALLOW_INSECURE_HTTP: 'true',
    INVENTORY_PORT: String(inventoryPort),
    ...extra,
  });
  const userToken = (claims: Record<string, unknown> = {}, expiresIn?: number) =>
    issuer.sign(
      {
        sub: 'alice',
        client_id: 'web-app',
        aud: ['orders-api', 'inventory-service'],
        scope: 'orders:read orders:write inventory:reserve',
        ...claims,
      },
      { expiresIn },
    );

  beforeAll(async () => {
    issuer = await TestIssuer.create({
      algorithms: ['ES256', 'RS256'],
      audience: 'orders-api',
    });
    await issuer.start();
    const inventoryRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: issuer.issuerUrl,
          audience: 'inventory-service',
          jwksUri: issuer.jwksUri,
          allowInsecureHttp: true,
          globalGuard: true,
        }),
      ],
      controllers: [StandInInventory],
    }).compile();
    inventory = inventoryRef.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
    });
    inventory.useLogger(false);
    await inventory.listen();
    inventoryPort = (inventory.unwrap<Server>().address() as AddressInfo).port;
    orders = await startOrdersApi(ordersConfigFromEnv(env()), false);
  });

  afterAll(async () => {
    await orders?.close();
    await inventory?.close();
    await issuer?.stop();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${orders.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  it('serves GET /health without a token, naming no issuer and no key state', async () => {
    await expect(call('GET', '/health')).resolves.toEqual({ status: 200, challenge: null, body: { status: 'ok' } });
  });

  it('says nothing it need not: no X-Powered-By, and a 404 that does not echo the path', async () => {
    const health = await fetch(`${orders.url}/health`);
    expect(health.headers.get('x-powered-by')).toBeNull();
    const token = userToken();
    for (const path of ['/no-such-route-4f1a', '/orders/%3Cscript%3E']) {
      const missing = await fetch(`${orders.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await missing.text();
      expect(missing.status).toBe(404);
      expect(missing.headers.get('x-powered-by')).toBeNull();
      expect(JSON.parse(text)).toEqual({ statusCode: 404, message: 'Not Found' });
      expect(text).not.toContain('4f1a');
      expect(text).not.toContain('script');
    }
  });

  it('holds tokens to the RFC 9068 profile: sub, client_id, iat and jti required, typ at+jwt', async () => {
    for (const missing of ['sub', 'client_id', 'iat', 'jti']) {
      const answer = await call('GET', '/orders', userToken({ [missing]: undefined }));
      expect({ missing, status: answer.status, challenge: answer.challenge }).toEqual({
        missing,
        status: 401,
        challenge: expect.stringMatching(/error="invalid_token"/),
      });
    }
    const plainJwt = issuer.sign(
      { sub: 'alice', client_id: 'web-app', scope: 'orders:read' },
      { header: { typ: 'JWT' } },
    );
    expect((await call('GET', '/orders', plainJwt)).status).toBe(401);
  });

  it('never files orders under an absent subject: two subject-less machine clients are refused, not merged', async () => {
    const machine = (clientId: string) =>
      userToken({ sub: undefined, client_id: clientId, scope: 'orders:read orders:write inventory:reserve' });
    for (const token of [machine('machine-a'), machine('machine-b')]) {
      expect((await call('POST', '/orders', token, { sku: 'SKU-1', quantity: 1 })).status).toBe(401);
      expect((await call('GET', '/orders', token)).status).toBe(401);
    }
    const a = await call('POST', '/orders', userToken({ sub: 'machine-a', client_id: 'machine-a' }), {
      sku: 'SKU-1',
      quantity: 1,
    });
    expect(a.status).toBe(201);
    const listB = await call('GET', '/orders', userToken({ sub: 'machine-b', client_id: 'machine-b' }));
    expect(listB.body).toEqual({ orders: [] });
  });

  it('refuses a body without a token before reading it: 401, not a 400 quoting the JSON', async () => {
    const response = await fetch(`${orders.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"quoted-marker": [1,',
    });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('quoted-marker');
  });

  it('answers 401 with a bare Bearer challenge when no token is sent', async () => {
    await expect(call('GET', '/orders')).resolves.toMatchObject({
      status: 401,
      challenge: 'Bearer realm="orders-api"',
    });
  });

  it('answers 401 invalid_token for expired, foreign-audience and forged tokens', async () => {
    for (const token of [
      userToken({}, -120),
      userToken({ aud: 'inventory-service' }),
      `${userToken().slice(0, -4)}AAAA`,
    ]) {
      const answer = await call('GET', '/orders', token);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toMatch(/^Bearer realm="orders-api", error="invalid_token"/);
    }
  });

  it('answers 403 insufficient_scope naming the missing scope', async () => {
    const answer = await call('GET', '/orders', userToken({ scope: 'orders:write' }));
    expect(answer.status).toBe(403);
    expect(answer.challenge).toMatch(/error="insufficient_scope".*scope="orders:read"/);
  });

  it('keeps GET /admin/inventory for tokens with inventory:admin', async () => {
    const answer = await call('GET', '/admin/inventory', userToken({ scope: 'orders:read inventory:read' }));
    expect(answer.status).toBe(403);
    expect(answer.challenge).toMatch(/error="insufficient_scope".*scope="inventory:admin"/);
  });

  it("relays the caller's token to inventory-service on GET /admin/inventory", async () => {
    const answer = await call('GET', '/admin/inventory', userToken({ scope: 'inventory:admin inventory:read' }));
    expect(answer).toMatchObject({ status: 200, body: { stock: expect.any(Array) } });
    expect((answer.body['stock'] as { sku: string }[]).map((level) => level.sku)).toEqual(['SKU-1', 'SKU-2', 'SKU-3']);
  });

  it('returns the principal on GET /me', async () => {
    await expect(call('GET', '/me', userToken())).resolves.toMatchObject({
      status: 200,
      body: {
        sub: 'alice',
        clientId: 'web-app',
        scopes: ['orders:read', 'orders:write', 'inventory:reserve'],
        issuer: issuer.issuerUrl,
      },
    });
  });

  it('places an order by reserving stock with the relayed user token, then lists it', async () => {
    const token = userToken({ sub: 'relay-check' });
    const created = await call('POST', '/orders', token, {
      sku: 'SKU-1',
      quantity: 2,
    });
    expect(created.status).toBe(201);
    const order = created.body['order'] as Record<string, unknown>;
    expect(order).toMatchObject({
      sku: 'SKU-1',
      quantity: 2,
      status: 'reserved',
      createdBy: 'relay-check',
      issuer: issuer.issuerUrl,
      reservationId: `res-${String(order['id'])}`,
    });
    await expect(call('GET', '/orders', token)).resolves.toEqual({
      status: 200,
      challenge: null,
      body: { orders: [order] },
    });
    await expect(call('GET', '/orders', userToken({ sub: 'someone-else' }))).resolves.toMatchObject({
      body: { orders: [] },
    });
  });

  it('maps a 403 from inventory-service to 403 insufficient_scope for the downstream scope', async () => {
    const answer = await call('POST', '/orders', userToken({ scope: 'orders:write' }), { sku: 'SKU-1', quantity: 1 });
    expect(answer.status).toBe(403);
    expect(answer.challenge).toMatch(/error="insufficient_scope".*scope="inventory:reserve"/);
  });

  it('maps a 401 from inventory-service (token not meant for it) to 401 invalid_token', async () => {
    const answer = await call('POST', '/orders', userToken({ aud: 'orders-api' }), { sku: 'SKU-1', quantity: 1 });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toMatch(
      /error="invalid_token", error_description="inventory-service refused the relayed token \(audience_invalid\)"/,
    );
  });

  it('answers 400 for a bad order, 409 when stock is short and 502 when inventory-service fails', async () => {
    await expect(call('POST', '/orders', userToken(), { sku: 'SKU-1', quantity: 0 })).resolves.toMatchObject({
      status: 400,
    });
    await expect(call('POST', '/orders', userToken(), 'not an object')).resolves.toMatchObject({ status: 400 });
    await expect(call('POST', '/orders', userToken(), { sku: 'SKU-EMPTY', quantity: 1 })).resolves.toMatchObject({
      status: 409,
      body: { error: 'insufficient_stock' },
    });
    await expect(call('POST', '/orders', userToken(), { sku: 'SKU-CRASH', quantity: 1 })).resolves.toMatchObject({
      status: 502,
      body: { error: 'inventory_error' },
    });
  });

  it('answers 503 when inventory-service is unreachable', async () => {
    const closed = await startOrdersApi(ordersConfigFromEnv(env({ INVENTORY_PORT: '1' })), false);
    try {
      const response = await fetch(`${closed.url}/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${userToken()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ sku: 'SKU-1', quantity: 1 }),
      });
      expect(response.status).toBe(503);
    } finally {
      await closed.close();
    }
  });
});

describe('OrdersStore', () => {
  it('keys orders by issuer and subject: the same sub under another issuer is another user', () => {
    const store = new OrdersStore();
    const order = (issuer: string, createdBy: string) =>
      store.add({
        id: store.nextId(),
        sku: 'SKU-1',
        quantity: 1,
        status: 'reserved',
        reservationId: 'r',
        createdBy,
        issuer,
        createdAt: new Date(0).toISOString(),
      });
    const mine = order('https://id-a.test', 'alice');
    order('https://id-b.test', 'alice');
    expect(store.forUser('https://id-a.test', 'alice')).toEqual([mine]);
    expect(store.forUser('https://id-a.test', 'bob')).toEqual([]);
  });
});

describe('ordersConfigFromEnv', () => {
  const problems = (env: Record<string, string>) => {
    try {
      ordersConfigFromEnv(env);
    } catch (error) {
      if (error instanceof ServiceConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('lists every problem at once', () => {
    expect(problems({ PORT: 'eighty' })).toEqual([
      expect.stringMatching(/^PORT: must be a TCP port/),
      expect.stringMatching(/^AUTH_ISSUER: is required/),
      expect.stringMatching(/^AUTH_AUDIENCE: is required/),
    ]);
  });

  it('needs no inventory settings (POST /orders answers 503 without them) but refuses a bad INVENTORY_PORT', () => {
    const auth = { AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'orders-api' };
    expect(ordersConfigFromEnv(auth).inventory).toBeUndefined();
    expect(ordersConfigFromEnv({ ...auth, INVENTORY_PORT: '4101' }).inventory).toEqual({
      host: '127.0.0.1',
      port: 4101,
    });
    expect(problems({ ...auth, INVENTORY_PORT: 'x' })).toEqual([
      expect.stringMatching(/^INVENTORY_PORT: must be a TCP port/),
    ]);
    expect(problems({ ...auth, INVENTORY_PORT: '0' })).toEqual([
      expect.stringMatching(/^INVENTORY_PORT: must be the port/),
    ]);
  });

  it('refuses a non-loopback inventory host and an http JWKS URL without AUTH_ALLOW_INSECURE_HTTP', () => {
    expect(
      problems({
        INVENTORY_HOST: 'inventory.example.com',
        INVENTORY_PORT: '4000',
        AUTH_ISSUER: 'https://id.example.com',
        AUTH_JWKS_URI: 'http://127.0.0.1:9/jwks',
        AUTH_AUDIENCE: 'orders-api',
      }),
    ).toEqual([
      expect.stringMatching(/^INVENTORY_HOST: must be a loopback host/),
      expect.stringMatching(/^AUTH_JWKS_URI: .*AUTH_ALLOW_INSECURE_HTTP=true/),
    ]);
  });
});
