import {
  authorizeWithLogin,
  codeOf,
  CookieJar,
  pkcePair,
  postForm,
  startIdentity,
  TestIdentity,
  verifyAccessToken,
} from '../../testing/identity.harness';

interface TokenBody {
  access_token: string;
  refresh_token: string;
  scope?: string;
  error?: string;
}

describe('refresh_token grant with rotation and reuse detection', () => {
  let identity: TestIdentity;
  let tokenUrl: string;

  beforeAll(async () => {
    identity = await startIdentity({ refreshTokenTtlSeconds: 3600 });
    tokenUrl = `${identity.app.url}/oauth/token`;
  });

  afterAll(() => identity.close());

  async function login(clientId = 'web-app', redirectUri = 'http://127.0.0.1/callback'): Promise<TokenBody> {
    const { verifier, challenge } = pkcePair();
    const callback = await authorizeWithLogin(identity.app.url, { clientId, redirectUri, challenge }, new CookieJar());
    const response = await postForm(tokenUrl, {
      grant_type: 'authorization_code',
      code: codeOf(callback),
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as TokenBody;
  }

  async function refresh(
    refreshToken: string,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; body: TokenBody }> {
    const response = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'web-app',
      ...extra,
    });
    if (response.status === 200) expect(response.headers.get('cache-control')).toBe('no-store');
    return { status: response.status, body: (await response.json()) as TokenBody };
  }

  it('returns a new refresh token on every use and invalidates the old one', async () => {
    const initial = await login();
    const first = await refresh(initial.refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeDefined();
    expect(first.body.refresh_token).not.toBe(initial.refresh_token);
    const { payload } = await verifyAccessToken(identity, first.body.access_token, 'orders-api');
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'web-app',
      scope: 'openid orders:read orders:write inventory:read inventory:reserve',
    });

    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
  });

  it('revokes the whole family when a spent refresh token is presented again', async () => {
    const initial = await login();
    const rotated = await refresh(initial.refresh_token);
    expect(rotated.status).toBe(200);

    const replay = await refresh(initial.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');

    // The legitimate successor dies with the family: whoever holds it cannot continue either.
    const successor = await refresh(rotated.body.refresh_token);
    expect(successor.status).toBe(400);
    expect(successor.body.error).toBe('invalid_grant');

    // Other logins are separate families and keep working.
    const other = await login();
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it('narrows scope for the access token only and refuses widening without spending the token', async () => {
    const initial = await login();
    const widened = await refresh(initial.refresh_token, { scope: 'openid orders:read admin' });
    expect(widened.body.error).toBe('invalid_scope');

    const narrowed = await refresh(initial.refresh_token, { scope: 'orders:read' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('orders:read');
    const full = await refresh(narrowed.body.refresh_token);
    expect(full.body.scope).toBe('openid orders:read orders:write inventory:read inventory:reserve');
  });

  it('binds refresh tokens to their client', async () => {
    const initial = await login();
    const response = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: initial.refresh_token,
      client_id: 'admin-portal',
    });
    expect(((await response.json()) as TokenBody).error).toBe('invalid_grant');
    expect((await refresh(initial.refresh_token)).status).toBe(200);
  });

  it('refuses unknown and expired refresh tokens', async () => {
    expect((await refresh('not-a-real-refresh-token')).body.error).toBe('invalid_grant');
    const initial = await login();
    identity.clock.advanceSeconds(3601);
    expect((await refresh(initial.refresh_token)).body.error).toBe('invalid_grant');
  });
});
