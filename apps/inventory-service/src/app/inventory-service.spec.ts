import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { createRpcAuthEnvelope } from '@nest-sso/jwt-auth';
import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { INVENTORY_PATTERNS } from '@nest-sso/inventory-contracts';
import { ServiceConfigError } from '@nest-sso/sso-config';
import { firstValueFrom } from 'rxjs';
import { startInventoryService, type InventoryApp } from './inventory-app';
import { inventoryConfigFromEnv } from './inventory.config';

jest.setTimeout(30_000);

async function refusal(call: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected the call to be refused');
}

describe('inventory-service', () => {
  let issuer: TestIssuer;
  let inventory: InventoryApp;
  let client: ClientProxy;

  const token = (claims: Record<string, unknown> = {}, expiresIn?: number) =>
    issuer.sign(
      {
        sub: 'billing-worker',
        client_id: 'billing-worker',
        scope: 'inventory:read inventory:reserve',
        ...claims,
      },
      { expiresIn },
    );
  const send = <T = Record<string, unknown>>(pattern: string, payload: unknown) =>
    firstValueFrom(client.send<T>(pattern, payload));

  beforeAll(async () => {
    issuer = await TestIssuer.create({
      algorithms: ['EdDSA'],
      audience: 'inventory-service',
    });
    await issuer.start();
    const config = inventoryConfigFromEnv({
      AUTH_ISSUER: issuer.issuerUrl,
      AUTH_AUDIENCE: 'inventory-service',
      AUTH_ALLOW_INSECURE_HTTP: 'true',
    });
    inventory = await startInventoryService(config, false);
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: inventory.tcpPort },
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await inventory?.close();
    await issuer?.stop();
  });

  it('serves GET /health/ready (terminus) and GET /metrics counting TCP verifications, both without a token', async () => {
    const ready = await fetch(`${inventory.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: { 'jwt-keys': { issuers: Record<string, { status: string }> } } };
    expect(body.details['jwt-keys'].issuers[issuer.issuerUrl].status).toBe('fresh');
    const before = await fetch(`${inventory.url}/metrics`).then((response) => response.text());
    const refusedBefore = Number(
      /jwt_auth_verifications_total\{[^}]*error_type="token_expired"[^}]*\} (\d+)/.exec(before)?.[1] ?? 0,
    );
    await refusal(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token({}, -600), { sku: 'SKU-1' })));
    const after = await fetch(`${inventory.url}/metrics`).then((response) => response.text());
    expect(Number(/jwt_auth_verifications_total\{[^}]*error_type="token_expired"[^}]*\} (\d+)/.exec(after)?.[1])).toBe(
      refusedBefore + 1,
    );
  });

  it('serves GET /health without a token, naming no issuer and no key state', async () => {
    const response = await fetch(`${inventory.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-powered-by')).toBeNull();
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
  });

  it('reads and reserves stock for a token with the scopes, recording who reserved', async () => {
    await expect(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token(), { sku: 'SKU-1' }))).resolves.toEqual({
      sku: 'SKU-1',
      available: 100,
      reserved: 0,
    });
    const reservation = await send(
      INVENTORY_PATTERNS.reserve,
      createRpcAuthEnvelope(token({ sub: 'alice', client_id: 'web-app' }), {
        sku: 'SKU-1',
        quantity: 3,
        reference: 'ord-1',
      }),
    );
    expect(reservation).toEqual({
      reservationId: expect.any(String),
      sku: 'SKU-1',
      quantity: 3,
      remaining: 97,
      reference: 'ord-1',
      reservedBy: 'alice',
      clientId: 'web-app',
    });
    await expect(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token(), { sku: 'SKU-1' }))).resolves.toEqual({
      sku: 'SKU-1',
      available: 97,
      reserved: 3,
    });
  });

  it('refuses messages without a token, with a bad or expired token, or one for another audience (401)', async () => {
    await expect(refusal(send(INVENTORY_PATTERNS.getStock, { data: { sku: 'SKU-1' } }))).resolves.toMatchObject({
      status: 401,
      code: 'token_missing',
    });
    await expect(
      refusal(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope('x.y.z', { sku: 'SKU-1' }))),
    ).resolves.toMatchObject({ status: 401 });
    await expect(
      refusal(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token({}, -120), { sku: 'SKU-1' }))),
    ).resolves.toMatchObject({ status: 401, code: 'token_expired' });
    await expect(
      refusal(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token({ aud: 'orders-api' }), { sku: 'SKU-1' }))),
    ).resolves.toMatchObject({
      status: 401,
      code: 'audience_invalid',
    });
  });

  it('refuses a reservation without inventory:reserve (403) and leaves the stock alone', async () => {
    const before = await send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token(), { sku: 'SKU-2' }));
    await expect(
      refusal(
        send(
          INVENTORY_PATTERNS.reserve,
          createRpcAuthEnvelope(token({ scope: 'inventory:read' }), {
            sku: 'SKU-2',
            quantity: 1,
            reference: 'r',
          }),
        ),
      ),
    ).resolves.toMatchObject({
      status: 403,
      code: 'insufficient_scope',
    });
    await expect(send(INVENTORY_PATTERNS.getStock, createRpcAuthEnvelope(token(), { sku: 'SKU-2' }))).resolves.toEqual(
      before,
    );
  });

  it('answers business errors with 400, 404 and 409', async () => {
    const reserve = (data: unknown) => refusal(send(INVENTORY_PATTERNS.reserve, createRpcAuthEnvelope(token(), data)));
    await expect(reserve({ sku: 'SKU-1', quantity: -1, reference: 'r' })).resolves.toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    await expect(reserve({ sku: 'SKU-404', quantity: 1, reference: 'r' })).resolves.toMatchObject({
      status: 404,
      code: 'unknown_sku',
    });
    await expect(reserve({ sku: 'SKU-3', quantity: 1, reference: 'r' })).resolves.toMatchObject({
      status: 409,
      code: 'insufficient_stock',
    });
  });
});

describe('inventoryConfigFromEnv', () => {
  it('reads the ports and refuses bad ones along with missing AUTH_* variables', () => {
    const config = inventoryConfigFromEnv({
      PORT: '8080',
      INVENTORY_PORT: '9090',
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_AUDIENCE: 'inventory-service',
    });
    expect(config).toMatchObject({
      httpPort: 8080,
      tcpPort: 9090,
      auth: {
        issuer: 'https://id.example.com',
        audience: 'inventory-service',
        discovery: true,
      },
    });
    let problems: readonly string[] = [];
    try {
      inventoryConfigFromEnv({ INVENTORY_PORT: '70000' });
    } catch (error) {
      problems = (error as ServiceConfigError).problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^INVENTORY_PORT: must be a TCP port/),
      expect.stringMatching(/^AUTH_ISSUER/),
      expect.stringMatching(/^AUTH_AUDIENCE/),
    ]);
  });
});
