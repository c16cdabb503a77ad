import { decodeProtectedHeader } from 'jose';
import {
  basicAuth,
  billingWorkerToken,
  postForm,
  startIdentity,
  TestIdentity,
  verifyAccessToken,
} from '../../testing/identity.harness';

interface TokenBody {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  refresh_token: string;
  error?: string;
  error_description?: string;
}

async function body(response: Response): Promise<TokenBody> {
  return (await response.json()) as TokenBody;
}

describe('POST /oauth/token with client_credentials', () => {
  let identity: TestIdentity;
  let tokenUrl: string;

  beforeAll(async () => {
    identity = await startIdentity();
    tokenUrl = `${identity.app.url}/oauth/token`;
  });

  afterAll(() => identity.close());

  it('issues an RFC 9068 access token that verifies against the published JWKS', async () => {
    const response = await billingWorkerToken(identity, { scope: 'inventory:read' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const token = await body(response);
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'inventory:read' });
    expect(token.refresh_token).toBeUndefined();

    const { payload, protectedHeader } = await verifyAccessToken(identity, token.access_token, 'inventory-service');
    expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'EdDSA' });
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload).toMatchObject({
      iss: identity.app.issuer,
      sub: 'billing-worker',
      aud: 'inventory-service',
      client_id: 'billing-worker',
      scope: 'inventory:read',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(600);
    expect(payload.iat).toBe(Math.floor(identity.clock.now() / 1000));
    expect(typeof payload.jti).toBe('string');
    expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
  });

  it('grants every allowed scope when none is requested and gives each token its own jti', async () => {
    const first = await body(await billingWorkerToken(identity));
    const second = await body(await billingWorkerToken(identity));
    expect(first.scope).toBe('inventory:read inventory:reserve');
    const a = await verifyAccessToken(identity, first.access_token);
    const b = await verifyAccessToken(identity, second.access_token);
    expect(a.payload.jti).not.toBe(b.payload.jti);
  });

  it('accepts client_secret_post', async () => {
    const response = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: 'billing-worker',
      client_secret: 'billing-worker-secret',
    });
    expect(response.status).toBe(200);
    expect(decodeProtectedHeader((await body(response)).access_token).alg).toBe('EdDSA');
  });

  it('answers 401 invalid_client with a Basic challenge for a wrong secret over HTTP Basic', async () => {
    const response = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth('billing-worker', 'not-the-secret') },
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="identity"/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const error = await body(response);
    expect(error.error).toBe('invalid_client');
    expect(error.access_token).toBeUndefined();
  });

  it('answers 401 invalid_client without a Basic challenge for a wrong client_secret_post', async () => {
    const response = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: 'billing-worker',
      client_secret: 'not-the-secret',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect((await body(response)).error).toBe('invalid_client');
  });

  it.each([
    ['an unknown client', { authorization: basicAuth('nobody', 'billing-worker-secret') }, {}],
    ['no client authentication', {}, {}],
    ['a confidential client without its secret', {}, { client_id: 'billing-worker' }],
    ['a public client presenting a secret', {}, { client_id: 'web-app', client_secret: 'anything' }],
  ])('refuses %s with invalid_client', async (_case, headers, fields) => {
    const response = await postForm(tokenUrl, { grant_type: 'client_credentials', ...fields }, headers);
    expect(response.status).toBe(401);
    expect((await body(response)).error).toBe('invalid_client');
  });

  it('refuses a scope outside the client registration with invalid_scope', async () => {
    const response = await billingWorkerToken(identity, { scope: 'inventory:read orders:write' });
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const error = await body(response);
    expect(error.error).toBe('invalid_scope');
    expect(error.error_description).toContain('orders:write');
  });

  it('matches scopes exactly, never by prefix or case', async () => {
    for (const scope of ['inventory', 'INVENTORY:READ', 'inventory:read:all', 'inventory:read  inventory:reserve']) {
      const response = await billingWorkerToken(identity, { scope });
      expect((await body(response)).error).toBe('invalid_scope');
    }
  });

  it('narrows the audience with an RFC 8707 resource parameter and refuses a foreign one', async () => {
    const narrowed = await billingWorkerToken(identity, { resource: 'inventory-service' });
    const { payload } = await verifyAccessToken(identity, (await body(narrowed)).access_token);
    expect(payload.aud).toBe('inventory-service');
    const foreign = await billingWorkerToken(identity, { resource: 'orders-api' });
    expect(foreign.status).toBe(400);
    expect((await body(foreign)).error).toBe('invalid_target');
  });

  it('refuses grants the client is not registered for and grants that do not exist', async () => {
    const publicClient = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: 'web-app' });
    expect(publicClient.status).toBe(400);
    expect((await body(publicClient)).error).toBe('unauthorized_client');
    const unknownGrant = await billingWorkerToken(identity, { grant_type: 'password' });
    expect(unknownGrant.status).toBe(400);
    expect((await body(unknownGrant)).error).toBe('unsupported_grant_type');
  });

  it('refuses malformed requests with invalid_request', async () => {
    const missingGrant = await postForm(
      tokenUrl,
      {},
      { authorization: basicAuth('billing-worker', 'billing-worker-secret') },
    );
    expect((await body(missingGrant)).error).toBe('invalid_request');

    const duplicated = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: ['inventory:read', 'inventory:reserve'] },
      { authorization: basicAuth('billing-worker', 'billing-worker-secret') },
    );
    expect(duplicated.status).toBe(400);
    expect((await body(duplicated)).error).toBe('invalid_request');

    const json = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicAuth('billing-worker', 'billing-worker-secret'),
      },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
    expect((await body(json)).error).toBe('invalid_request');

    const both = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', client_secret: 'billing-worker-secret' },
      { authorization: basicAuth('billing-worker', 'billing-worker-secret') },
    );
    expect((await body(both)).error).toBe('invalid_request');

    const nested = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth('billing-worker', 'billing-worker-secret'),
      },
      body: 'grant_type=client_credentials&scope%5Bx%5D=orders:write&scope[]=orders:write&%ZZ',
    });
    // Bracket keys stay literal, unrecognized names (RFC 6749 section 3.2): they can never smuggle in a scope.
    expect(nested.status).toBe(200);
    expect((await body(nested)).scope).toBe('inventory:read inventory:reserve');
  });

  it('answers an oversized body with a 4xx JSON error, not an HTML page', async () => {
    const response = await postForm(
      tokenUrl,
      { grant_type: 'client_credentials', scope: 'x'.repeat(40_000) },
      { authorization: basicAuth('billing-worker', 'billing-worker-secret') },
    );
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await body(response)).error).toBe('invalid_request');
  });
});
