import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { startOrdersApi, type OrdersApp } from './orders-app';
import { ordersConfigFromEnv } from './orders.config';

jest.setTimeout(30_000);

/** Samples of a Prometheus text exposition, as `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

describe('orders-api operations: only AUTH_* and PORT, readiness, metrics, OpenAPI', () => {
  let issuer: TestIssuer;
  let orders: OrdersApp;
  // The documented minimum: no INVENTORY_* at all.
  const minimalEnv = (extra: Record<string, string> = {}) => ({
    AUTH_ISSUER: issuer.issuerUrl,
    AUTH_AUDIENCE: 'orders-api',
    AUTH_ALLOW_INSECURE_HTTP: 'true',
    PORT: '0',
    ...extra,
  });
  const token = (claims: Record<string, unknown> = {}, expiresIn?: number) =>
    issuer.sign({ sub: 'alice', scope: 'orders:read orders:write', ...claims }, { expiresIn });
  const call = async (app: OrdersApp, method: string, path: string, bearer?: string) => {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      body: method === 'POST' ? JSON.stringify({ sku: 'SKU-1', quantity: 1 }) : undefined,
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text,
      json: () => JSON.parse(text) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'], audience: 'orders-api' });
    await issuer.start();
    orders = await startOrdersApi(ordersConfigFromEnv(minimalEnv()), false);
  });

  afterAll(async () => {
    await orders?.close();
    await issuer?.stop();
  });

  it('starts without inventory settings: POST /orders answers 503 with a JSON error, the other routes work', async () => {
    const placed = await call(orders, 'POST', '/orders', token());
    expect(placed.status).toBe(503);
    expect(placed.json()).toMatchObject({ statusCode: 503, error: 'inventory_not_configured' });
    expect(placed.json()['message']).toMatch(/INVENTORY_PORT/);
    const admin = await call(orders, 'GET', '/admin/inventory', token({ scope: 'inventory:admin' }));
    expect(admin.status).toBe(503);
    expect(admin.json()).toMatchObject({ error: 'inventory_not_configured' });
    // Authentication and scopes still come first.
    expect((await call(orders, 'POST', '/orders')).status).toBe(401);
    expect((await call(orders, 'POST', '/orders', token({ scope: 'orders:read' }))).status).toBe(403);
    const listed = await call(orders, 'GET', '/orders', token());
    expect(listed.status).toBe(200);
    expect(listed.json()).toEqual({ orders: [] });
    expect((await call(orders, 'GET', '/me', token())).status).toBe(200);
    expect((await call(orders, 'GET', '/health')).status).toBe(200);
  });

  it('GET /health/ready reports the issuer key source, public', async () => {
    const ready = await call(orders, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    const body = ready.json() as { status: string; details: Record<string, { issuers: Record<string, unknown> }> };
    expect(body.status).toBe('ok');
    expect(body.details['jwt-keys'].issuers[issuer.issuerUrl]).toMatchObject({
      status: 'fresh',
      kind: 'discovery',
      keyIds: [issuer.kid('ES256')],
    });
  });

  it('GET /metrics counts good and bad requests by outcome, error code and cache result', async () => {
    // A fresh instance, so that only this test's requests are counted.
    const app = await startOrdersApi(ordersConfigFromEnv(minimalEnv()), false);
    try {
      const good = [token({ sub: 'u1' }), token({ sub: 'u2' }), token({ sub: 'u3' })];
      for (const one of good) expect((await call(app, 'GET', '/orders', one)).status).toBe(200); // 3 misses
      for (const one of good.slice(0, 2)) expect((await call(app, 'GET', '/orders', one)).status).toBe(200); // 2 hits
      expect((await call(app, 'GET', '/orders', token({}, -600))).status).toBe(401);
      expect((await call(app, 'GET', '/orders', token({}, -600))).status).toBe(401);
      expect(await call(app, 'GET', '/orders', 'not.a-token')).toMatchObject({ status: 401 });
      expect((await call(app, 'GET', '/orders', token({ aud: 'billing' }))).status).toBe(401);
      const scraped = await call(app, 'GET', '/metrics');
      expect(scraped.status).toBe(200);
      expect(scraped.type).toMatch(/^text\/plain/);
      const m = samples(scraped.text);
      const iss = `jwt_auth_issuer="${issuer.issuerUrl}"`;
      const verifications = (labels: string) => m.get(`jwt_auth_verifications_total{${labels}}`);
      expect(verifications(`${iss},jwt_auth_outcome="accepted",jwt_auth_cache_result="miss"`)).toBe(3);
      expect(verifications(`${iss},jwt_auth_outcome="accepted",jwt_auth_cache_result="hit"`)).toBe(2);
      expect(
        verifications(`${iss},jwt_auth_outcome="rejected",error_type="token_expired",jwt_auth_cache_result="miss"`),
      ).toBe(2);
      expect(
        verifications(`${iss},jwt_auth_outcome="rejected",error_type="audience_invalid",jwt_auth_cache_result="miss"`),
      ).toBe(1);
      expect(
        verifications(`jwt_auth_outcome="rejected",error_type="token_malformed",jwt_auth_cache_result="miss"`),
      ).toBe(1);
      expect(m.get('jwt_auth_verification_duration_count')).toBe(7);
      expect(m.get(`jwt_auth_key_source_fetches_total{${iss},jwt_auth_fetch_result="success"}`)).toBeGreaterThanOrEqual(
        1,
      );
      expect(m.get(`jwt_auth_key_source_status{${iss},jwt_auth_key_source_status="fresh"}`)).toBe(1);
      // Subjects never become labels.
      expect(scraped.text).not.toMatch(/u1|u2|u3|alice/);
    } finally {
      await app.close();
    }
  });

  it('serves its OpenAPI document with each route scopes, and Swagger UI', async () => {
    const document = (await call(orders, 'GET', '/docs/openapi.json')).json() as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(document.components.securitySchemes['bearer']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/orders']['get'].security).toEqual([{ bearer: ['orders:read'] }]);
    expect(document.paths['/orders']['post'].security).toEqual([{ bearer: ['orders:write'] }]);
    expect(document.paths['/orders']['post'].responses).toHaveProperty('403');
    expect(document.paths['/me']['get'].security).toEqual([{ bearer: [] }]);
    expect(document.paths['/me']['get'].responses).toHaveProperty('401');
    for (const open of ['/health', '/health/ready', '/metrics'])
      expect(document.paths[open]['get'].security).toBeUndefined();
    const ui = await call(orders, 'GET', '/docs');
    expect(ui.status).toBe(200);
    expect(ui.type).toMatch(/^text\/html/);
    expect(ui.text).toContain('<div id="swagger-ui">');
    const bundle = await call(orders, 'GET', '/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.text).toContain('SwaggerUIBundle');
    const init = await call(orders, 'GET', '/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"orders:write"');
  });

  it('reads scopes from scp with AUTH_SCOPE_CLAIM=scp (Okta, Entra ID style)', async () => {
    const app = await startOrdersApi(ordersConfigFromEnv(minimalEnv({ AUTH_SCOPE_CLAIM: 'scp' })), false);
    try {
      expect((await call(app, 'GET', '/orders', token({ scope: undefined, scp: ['orders:read'] }))).status).toBe(200);
      expect((await call(app, 'GET', '/orders', token({ scope: 'orders:read' }))).status).toBe(403);
    } finally {
      await app.close();
    }
    expect((await call(orders, 'GET', '/orders', token({ scope: undefined, scp: ['orders:read'] }))).status).toBe(403);
  });
});
