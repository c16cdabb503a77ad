import {
  authorizeUrl,
  authorizeWithLogin,
  browserGet,
  browserPost,
  codeOf,
  CookieJar,
  csrfTokenOf,
  locationOf,
  pkcePair,
  postForm,
  startIdentity,
  TestIdentity,
  verifyAccessToken,
} from '../../testing/identity.harness';

const WEB_APP = { clientId: 'web-app', redirectUri: 'http://127.0.0.1/callback' };
const ADMIN_PORTAL = { clientId: 'admin-portal', redirectUri: 'http://127.0.0.1/admin/callback' };

interface TokenBody {
  access_token: string;
  refresh_token: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

describe('authorization code flow with PKCE and SSO', () => {
  let identity: TestIdentity;
  let base: string;
  let tokenUrl: string;

  beforeAll(async () => {
    identity = await startIdentity();
    base = identity.app.url;
    tokenUrl = `${base}/oauth/token`;
  });

  afterAll(() => identity.close());

  function exchange(fields: Record<string, string>): Promise<Response> {
    return postForm(tokenUrl, { grant_type: 'authorization_code', ...fields });
  }

  async function codeFor(client: typeof WEB_APP, jar: CookieJar, challenge: string, scope?: string): Promise<URL> {
    return authorizeWithLogin(base, { ...client, challenge, scope, state: 'state-123' }, jar);
  }

  it('logs in through the HTML form and exchanges the code for verifiable tokens', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const callback = await codeFor(WEB_APP, jar, challenge, 'openid orders:read');
    expect(`${callback.origin}${callback.pathname}`).toBe(WEB_APP.redirectUri);
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.get('iss')).toBe(identity.app.issuer);
    const code = codeOf(callback);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const response = await exchange({
      code,
      redirect_uri: WEB_APP.redirectUri,
      client_id: 'web-app',
      code_verifier: verifier,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = (await response.json()) as TokenBody;
    expect(tokens.scope).toBe('openid orders:read');
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { payload, protectedHeader } = await verifyAccessToken(identity, tokens.access_token, 'orders-api');
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: 'alice',
      client_id: 'web-app',
      scope: 'openid orders:read',
      aud: ['orders-api', 'inventory-service'],
    });
    // The relay target accepts the same token.
    await expect(verifyAccessToken(identity, tokens.access_token, 'inventory-service')).resolves.toBeDefined();
  });

  it('sets the SSO cookie HttpOnly, SameSite=Lax, Path=/', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const authorize = await browserGet(authorizeUrl(base, { ...WEB_APP, challenge }), jar);
    const loginUrl = locationOf(authorize, base);
    const page = await browserGet(loginUrl.toString(), jar);
    const csrf = csrfTokenOf(await page.text());
    const login = await postForm(
      `${base}/login`,
      { csrf_token: csrf, username: 'alice', password: 'alice-password' },
      { cookie: jar.header() },
    );
    const sessionCookie = login.headers.getSetCookie().find((line) => line.startsWith('identity_session='));
    expect(sessionCookie).toBeDefined();
    expect(sessionCookie).toMatch(/; HttpOnly/i);
    expect(sessionCookie).toMatch(/; SameSite=Lax/i);
    expect(sessionCookie).toMatch(/; Path=\//i);
    expect(String(sessionCookie).split(';')[0].length).toBeGreaterThan('identity_session='.length + 40);
  });

  it('gives a second client a code from the SSO session without showing the login page again', async () => {
    const jar = new CookieJar();
    const first = pkcePair();
    await codeFor(WEB_APP, jar, first.challenge);
    expect(jar.get('identity_session')).toBeDefined();

    const second = pkcePair();
    const response = await browserGet(
      authorizeUrl(base, { ...ADMIN_PORTAL, challenge: second.challenge, state: 's2' }),
      jar,
    );
    expect(response.status).toBe(302);
    const callback = locationOf(response, base);
    expect(`${callback.origin}${callback.pathname}`).toBe(ADMIN_PORTAL.redirectUri);
    expect(callback.searchParams.get('state')).toBe('s2');
    const tokens = (await (
      await exchange({
        code: codeOf(callback),
        redirect_uri: ADMIN_PORTAL.redirectUri,
        client_id: 'admin-portal',
        code_verifier: second.verifier,
      })
    ).json()) as TokenBody;
    const { payload, protectedHeader } = await verifyAccessToken(identity, tokens.access_token, 'orders-api');
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'admin-portal', aud: 'orders-api' });
    expect(protectedHeader.alg).toBe('RS256');

    // Without the cookie the same request goes to the login page.
    const anonymous = await browserGet(
      authorizeUrl(base, { ...ADMIN_PORTAL, challenge: second.challenge }),
      new CookieJar(),
    );
    expect(locationOf(anonymous, base).pathname).toBe('/login');
  });

  it('rejects a wrong code_verifier and burns the code', async () => {
    const { verifier, challenge } = pkcePair();
    const callback = await codeFor(WEB_APP, new CookieJar(), challenge);
    const code = codeOf(callback);
    const wrong = await exchange({
      code,
      redirect_uri: WEB_APP.redirectUri,
      client_id: 'web-app',
      code_verifier: pkcePair().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as TokenBody).error).toBe('invalid_grant');
    const retry = await exchange({
      code,
      redirect_uri: WEB_APP.redirectUri,
      client_id: 'web-app',
      code_verifier: verifier,
    });
    expect(((await retry.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it('rejects a reused code and revokes the refresh token issued from it', async () => {
    const { verifier, challenge } = pkcePair();
    const code = codeOf(await codeFor(WEB_APP, new CookieJar(), challenge));
    const fields = { code, redirect_uri: WEB_APP.redirectUri, client_id: 'web-app', code_verifier: verifier };
    const first = await exchange(fields);
    expect(first.status).toBe(200);
    const { refresh_token: refreshToken } = (await first.json()) as TokenBody;
    const replay = await exchange(fields);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as TokenBody).error).toBe('invalid_grant');
    const refresh = await postForm(tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'web-app',
    });
    expect(((await refresh.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it('rejects a code after its 60 second lifetime', async () => {
    const { verifier, challenge } = pkcePair();
    const code = codeOf(await codeFor(WEB_APP, new CookieJar(), challenge));
    identity.clock.advanceSeconds(61);
    const response = await exchange({
      code,
      redirect_uri: WEB_APP.redirectUri,
      client_id: 'web-app',
      code_verifier: verifier,
    });
    expect(((await response.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it('binds the code to its client and redirect_uri', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const otherClient = codeOf(await codeFor(WEB_APP, jar, challenge));
    const stolen = await exchange({
      code: otherClient,
      redirect_uri: ADMIN_PORTAL.redirectUri,
      client_id: 'admin-portal',
      code_verifier: verifier,
    });
    expect(((await stolen.json()) as TokenBody).error).toBe('invalid_grant');

    const again = pkcePair();
    const response = await browserGet(authorizeUrl(base, { ...WEB_APP, challenge: again.challenge }), jar);
    const code = codeOf(locationOf(response, base));
    const wrongRedirect = await exchange({
      code,
      redirect_uri: 'http://127.0.0.1/callback/other',
      client_id: 'web-app',
      code_verifier: again.verifier,
    });
    expect(((await wrongRedirect.json()) as TokenBody).error).toBe('invalid_grant');
  });

  it.each([
    ['plain', 'plain'],
    ['a missing method (which means plain)', null],
    ['an unknown method', 'S512'],
  ])('refuses code_challenge_method %s with a redirect carrying invalid_request', async (_case, method) => {
    const { verifier } = pkcePair();
    const response = await browserGet(
      authorizeUrl(base, { ...WEB_APP, challenge: verifier, method, state: 'st' }),
      new CookieJar(),
    );
    expect(response.status).toBe(302);
    const callback = locationOf(response, base);
    expect(`${callback.origin}${callback.pathname}`).toBe(WEB_APP.redirectUri);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('state')).toBe('st');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('refuses an authorization request without a code_challenge', async () => {
    const response = await browserGet(authorizeUrl(base, { ...WEB_APP }), new CookieJar());
    expect(locationOf(response, base).searchParams.get('error')).toBe('invalid_request');
  });

  it('redirects with invalid_scope for a scope the client may not request', async () => {
    const { challenge } = pkcePair();
    const response = await browserGet(
      authorizeUrl(base, { ...ADMIN_PORTAL, challenge, scope: 'orders:write' }),
      new CookieJar(),
    );
    expect(locationOf(response, base).searchParams.get('error')).toBe('invalid_scope');
  });

  it('never redirects to an unregistered redirect_uri or for an unknown client', async () => {
    const { challenge } = pkcePair();
    for (const params of [
      { clientId: 'web-app', redirectUri: 'http://127.0.0.1/callback/../evil' },
      { clientId: 'web-app', redirectUri: 'http://evil.example/callback' },
      { clientId: 'web-app', redirectUri: 'http://127.0.0.1/CALLBACK' },
      { clientId: 'nobody', redirectUri: 'http://127.0.0.1/callback' },
    ]) {
      const response = await browserGet(authorizeUrl(base, { ...params, challenge }), new CookieJar());
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });

  it('refuses a login POST whose CSRF token does not match the browser', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const loginUrl = locationOf(await browserGet(authorizeUrl(base, { ...WEB_APP, challenge }), jar), base);
    await browserGet(loginUrl.toString(), jar);
    const forged = await browserPost(
      `${base}/login`,
      { csrf_token: 'forged', username: 'alice', password: 'alice-password' },
      jar,
    );
    expect(forged.status).toBe(403);
    expect(jar.get('identity_session')).toBeUndefined();

    // A valid token fetched by another browser (the attacker's) does not work with the victim's cookie either.
    const attacker = new CookieJar();
    const attackerToken = csrfTokenOf(await (await browserGet(`${base}/login`, attacker)).text());
    const crossed = await browserPost(
      `${base}/login`,
      { csrf_token: attackerToken, username: 'alice', password: 'alice-password' },
      jar,
    );
    expect(crossed.status).toBe(403);

    const noCookie = await postForm(`${base}/login`, {
      csrf_token: attackerToken,
      username: 'alice',
      password: 'alice-password',
    });
    expect(noCookie.status).toBe(400);
  });

  it('re-renders the form with an error for a wrong password and escapes what it echoes', async () => {
    const jar = new CookieJar();
    const page = await browserGet(`${base}/login`, jar);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const csrf = csrfTokenOf(await page.text());
    const failed = await browserPost(
      `${base}/login`,
      { csrf_token: csrf, username: '<script>x</script>', password: 'nope' },
      jar,
    );
    expect(failed.status).toBe(401);
    const html = await failed.text();
    expect(html).toContain('Invalid username or password.');
    expect(html).not.toContain('<script>x</script>');
    expect(html).toContain('&lt;script&gt;');
    expect(jar.get('identity_session')).toBeUndefined();

    const wrongPassword = await browserPost(
      `${base}/login`,
      { csrf_token: csrf, username: 'alice', password: 'bob-password' },
      jar,
    );
    expect(wrongPassword.status).toBe(401);
    const ok = await browserPost(
      `${base}/login`,
      { csrf_token: csrf, username: 'alice', password: 'alice-password' },
      jar,
    );
    expect(ok.status).toBe(200);
    expect(jar.get('identity_session')).toBeDefined();
  });

  it('ends the SSO session on logout', async () => {
    const jar = new CookieJar();
    await codeFor(WEB_APP, jar, pkcePair().challenge);
    const session = String(jar.get('identity_session'));
    const signedIn = await (await browserGet(`${base}/login`, jar)).text();
    const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(signedIn)?.[1] as string;
    expect((await browserPost(`${base}/logout`, { csrf_token: csrfToken }, jar)).status).toBe(200);
    const replayed = new CookieJar();
    replayed.set('identity_session', session);
    const response = await browserGet(authorizeUrl(base, { ...WEB_APP, challenge: pkcePair().challenge }), replayed);
    expect(locationOf(response, base).pathname).toBe('/login');
  });
});
