import { createPrivateKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CookieJar, SsoSystem, WEB_SSO_SCREENSHOTS, webSsoSteps } from '@nest-sso/sso-demo';
import { ROOT_DIR } from './support/system';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const SCREENSHOTS = join(ROOT_DIR, 'tmp', 'sso-e2e-screenshots');

/** The identity service's current RS256 key, read from its DATA_DIR (how the suite mints logout tokens). */
function identityRsaKey(system: SsoSystem): { kid: string; key: KeyObject } {
  const keysDir = join(system.identityDataDir, 'keys');
  const manifest = JSON.parse(readFileSync(join(keysDir, 'manifest.json'), 'utf8')) as {
    keys: { kid: string; alg: string; state: string }[];
  };
  const entry = manifest.keys.find((key) => key.alg === 'RS256' && key.state === 'current');
  if (!entry) throw new Error('identity has no current RS256 key');
  return { kid: entry.kid, key: createPrivateKey(readFileSync(join(keysDir, `${entry.kid}.pem`))) };
}

function signJwt(header: object, payload: object, key: KeyObject): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function logoutToken(
  system: SsoSystem,
  clientId: string,
  claims: Record<string, unknown> = {},
  options: { typ?: string; key?: KeyObject } = {},
): string {
  const { kid, key } = identityRsaKey(system);
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { alg: 'RS256', typ: options.typ ?? 'logout+jwt', kid },
    {
      iss: system.issuer,
      aud: clientId,
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      events: { [BACKCHANNEL_EVENT]: {} },
      sub: 'alice',
      ...claims,
    },
    options.key ?? key,
  );
}

function postLogoutToken(appUrl: string, token: string | undefined): Promise<Response> {
  return fetch(`${appUrl}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: token === undefined ? '' : new URLSearchParams({ logout_token: token }).toString(),
  });
}

/** GET without following redirects; cookies of 127.0.0.1 are shared by every port, as browsers share them. */
async function get(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  jar.store(response);
  return response;
}

/** Follows redirects from `url` like a browser would, until a page answers. */
async function browse(url: string, jar: CookieJar): Promise<{ response: Response; url: string }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const response = await get(current, jar);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return { response, url: current };
    current = new URL(location, current).toString();
  }
  throw new Error(`too many redirects from ${url}`);
}

/** Signs in to a web app over plain HTTP: app -> identity login form -> app callback. */
async function signIn(appUrl: string, jar: CookieJar, username = 'alice'): Promise<string> {
  const login = await browse(`${appUrl}/login`, jar);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await login.response.text())?.[1];
  if (!csrf) throw new Error(`no login form at ${login.url}`);
  const submitted = await fetch(new URL('login', login.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ csrf_token: csrf, username, password: `${username}-password` }).toString(),
    redirect: 'manual',
  });
  jar.store(submitted);
  const back = await browse(new URL(submitted.headers.get('location') as string, login.url).toString(), jar);
  return back.response.text();
}

describe('web-portal and admin-console: OpenID Connect clients of identity', () => {
  let system: SsoSystem;

  beforeAll(async () => {
    // A refresh margin as long as the access-token lifetime: every page view finds the token near expiry.
    system = await SsoSystem.start({ rootDir: ROOT_DIR, webAppEnv: { REFRESH_MARGIN_SECONDS: '600' } });
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('single sign-on in Chromium: login once, SSO to the console, bob refused, logout everywhere, password again', async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    const steps = webSsoSteps({ screenshotDir: SCREENSHOTS });
    expect(steps).toHaveLength(5);
    for (const step of steps) {
      const outcome = await step.run(system);
      expect(outcome).not.toMatch(/^skipped/);
    }
    for (const file of WEB_SSO_SCREENSHOTS) {
      expect(existsSync(join(SCREENSHOTS, file))).toBe(true);
      expect(statSync(join(SCREENSHOTS, file)).size).toBeGreaterThan(1000);
    }
  }, 120_000);

  it('refreshes the access token when it nears expiry, keeping the person signed in', async () => {
    const jar = new CookieJar();
    await signIn(system.webPortalUrl, jar);
    const before = await (await get(`${system.webPortalUrl}/`, jar)).text();
    expect(before).toContain('Access token renewed 0 time(s)');
    for (let visit = 0; visit < 2; visit++) {
      const orders = await get(`${system.webPortalUrl}/orders`, jar);
      expect(orders.status).toBe(200);
      expect(await orders.text()).toContain('Orders of Alice Example');
    }
    const after = await (await get(`${system.webPortalUrl}/`, jar)).text();
    expect(after).toContain('Access token renewed 2 time(s)');
    // Tokens stay on the server: no page and no cookie carries a JWT, the session cookie is a bare random id.
    const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
    expect(after).not.toMatch(jwt);
    expect(jar.header()).not.toMatch(jwt);
    expect(jar.header()).toMatch(/(^|; )web_portal_session=[A-Za-z0-9_-]{43}(;|$)/);
    // Page loads at the same moment share one refresh: racing with one rotating refresh token would make identity
    // revoke the whole family and sign the person out.
    const concurrent = await Promise.all([1, 2, 3, 4].map(() => get(`${system.webPortalUrl}/orders`, jar)));
    expect(concurrent.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    expect(await (await get(`${system.webPortalUrl}/`, jar)).text()).toContain('Welcome, <strong>Alice Example');
  });

  describe('back-channel logout endpoint', () => {
    it('ends the sessions a valid logout token names, and refuses the same token again', async () => {
      const jar = new CookieJar();
      await signIn(system.adminConsoleUrl, jar);
      expect(await (await get(`${system.adminConsoleUrl}/`, jar)).text()).toContain('Signed in as');
      const token = logoutToken(system, 'admin-console', { sid: undefined });
      const first = await postLogoutToken(system.adminConsoleUrl, token);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(await (await get(`${system.adminConsoleUrl}/`, jar)).text()).toContain('You are not signed in');
      const replay = await postLogoutToken(system.adminConsoleUrl, token);
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({
        error: 'invalid_request',
        error_description: expect.stringMatching(/replay/),
      });
    });

    it.each([
      [
        'a forged signature',
        (system: SsoSystem) =>
          logoutToken(
            system,
            'web-portal',
            {},
            { key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
          ),
      ],
      ['another audience', (system: SsoSystem) => logoutToken(system, 'admin-console')],
      ['an ID token type', (system: SsoSystem) => logoutToken(system, 'web-portal', {}, { typ: 'JWT' })],
      ['a nonce', (system: SsoSystem) => logoutToken(system, 'web-portal', { nonce: 'n' })],
      ['no logout event', (system: SsoSystem) => logoutToken(system, 'web-portal', { events: {} })],
      ['no sid and no sub', (system: SsoSystem) => logoutToken(system, 'web-portal', { sub: undefined })],
      ['another issuer', (system: SsoSystem) => logoutToken(system, 'web-portal', { iss: 'http://127.0.0.1:1' })],
      ['no token at all', () => undefined],
    ])('refuses a logout token with %s (400), and the session stays', async (_name, make) => {
      const jar = new CookieJar();
      await signIn(system.webPortalUrl, jar);
      const response = await postLogoutToken(system.webPortalUrl, make(system));
      expect(response.status).toBe(400);
      expect(await (await get(`${system.webPortalUrl}/`, jar)).text()).toContain('Welcome, <strong>Alice Example');
    });
  });

  it('shows the error page when identity is down and the token needs a refresh', async () => {
    const jar = new CookieJar();
    await signIn(system.webPortalUrl, jar);
    await system.stopIdentity();
    const orders = await get(`${system.webPortalUrl}/orders`, jar);
    expect(orders.status).toBe(503);
    expect(await orders.text()).toContain('Identity is unavailable');
  });
});
