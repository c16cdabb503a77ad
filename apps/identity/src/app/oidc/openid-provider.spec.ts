import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { LogoutTokenVerifier } from '@nest-sso/jwt-auth';
import {
  authorizeWithLogin,
  basicAuth,
  browserGet,
  browserPost,
  codeOf,
  CookieJar,
  csrfTokenOf,
  makeTempDir,
  pkcePair,
  postForm,
  startIdentity,
  TestIdentity,
} from '../../testing/identity.harness';
import { DEFAULT_SEED_FILE } from '../../identity-paths';
import { BackchannelAttempt, BackchannelLogoutService } from './backchannel-logout.service';

const SECRETS: Record<string, string> = {
  'web-portal': 'web-portal-secret',
  'admin-console': 'admin-console-secret',
};

interface Tokens {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  scope: string;
}

/** A stand-in for a web app's back-channel endpoint: records the logout tokens it receives, or is down. */
class BackchannelReceiver {
  readonly tokens: string[] = [];
  private server: Server | undefined;
  constructor(readonly port: number) {}

  static async reserve(): Promise<BackchannelReceiver> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return new BackchannelReceiver(port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.method === 'POST' && request.url === '/backchannel-logout') {
          const token = new URLSearchParams(body).get('logout_token');
          if (token) this.tokens.push(token);
        }
        response.writeHead(200, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
    this.server = undefined;
  }
}

describe('identity as an OpenID provider', () => {
  let identity: TestIdentity;
  let base: string;
  let portal: BackchannelReceiver;
  let admin: BackchannelReceiver;
  let attempts: BackchannelAttempt[];

  beforeAll(async () => {
    portal = await BackchannelReceiver.reserve();
    admin = await BackchannelReceiver.reserve();
    identity = await startIdentity({
      webPortalUrl: portal.url,
      adminConsoleUrl: admin.url,
      backchannelRetryInitialMs: 20,
      backchannelMaxAttempts: 8,
    });
    base = identity.app.url;
    attempts = [];
    identity.app.nest.get(BackchannelLogoutService).onAttempt = (attempt) => attempts.push(attempt);
  });

  afterAll(async () => {
    await portal.stop();
    await admin.stop();
    await identity.close();
  });

  async function signIn(
    clientId: string,
    jar: CookieJar,
    options: { scope?: string; nonce?: string; user?: { username: string; password: string } } = {},
  ): Promise<Tokens> {
    const { verifier, challenge } = pkcePair();
    const redirectUri = `${clientId === 'web-portal' ? portal.url : admin.url}/callback`;
    const params = {
      clientId,
      redirectUri,
      challenge,
      scope: options.scope ?? 'openid profile orders:read',
      extra: options.nonce ? { nonce: options.nonce } : {},
    };
    const callback = jar.get('identity_session')
      ? new URL((await browserGet(authorizeUrlOf(params), jar)).headers.get('location') as string)
      : await authorizeWithLogin(base, params, jar, options.user);
    const response = await postForm(
      `${base}/oauth/token`,
      { grant_type: 'authorization_code', code: codeOf(callback), redirect_uri: redirectUri, code_verifier: verifier },
      { authorization: basicAuth(clientId, SECRETS[clientId]) },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as Tokens;
  }

  function authorizeUrlOf(params: {
    clientId: string;
    redirectUri: string;
    challenge: string;
    scope: string;
    extra: Record<string, string>;
  }): string {
    const url = new URL('/authorize', base);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', params.clientId);
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('code_challenge', params.challenge);
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('scope', params.scope);
    for (const [name, value] of Object.entries(params.extra)) url.searchParams.set(name, value);
    return url.toString();
  }

  it('publishes the OpenID metadata it supports, and nothing it does not', async () => {
    const metadata = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(metadata).toMatchObject({
      userinfo_endpoint: `${base}/userinfo`,
      end_session_endpoint: `${base}/logout`,
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'EdDSA'],
      subject_types_supported: ['public'],
      response_types_supported: ['code'],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    expect(metadata['claims_supported']).toEqual(expect.arrayContaining(['sub', 'nonce', 'auth_time', 'sid']));
    for (const unsupported of ['registration_endpoint', 'frontchannel_logout_supported', 'request_parameter_supported'])
      expect(metadata).not.toHaveProperty(unsupported);
  });

  it('issues an ID token whose claims and RS256 signature check out against the published JWKS', async () => {
    const jar = new CookieJar();
    const nonce = randomBytes(16).toString('base64url');
    const tokens = await signIn('web-portal', jar, { nonce });
    expect(tokens.id_token).toBeDefined();
    const idToken = tokens.id_token as string;
    const header = decodeProtectedHeader(idToken);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), {
      issuer: identity.app.issuer,
      audience: 'web-portal',
      algorithms: ['RS256'],
      currentDate: new Date(identity.clock.now()),
    });
    const atHash = createHash('sha256').update(tokens.access_token).digest().subarray(0, 16).toString('base64url');
    expect(payload).toMatchObject({ sub: 'alice', nonce, at_hash: atHash });
    expect(typeof payload['sid']).toBe('string');
    expect(payload['auth_time']).toBeLessThanOrEqual(payload.iat as number);
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
    // A second client in the same SSO session gets the same sid and auth_time, and its own audience.
    const second = await signIn('admin-console', jar);
    const { payload: other } = await jwtVerify(
      second.id_token as string,
      createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)),
      { issuer: identity.app.issuer, audience: 'admin-console', currentDate: new Date(identity.clock.now()) },
    );
    expect(other).toMatchObject({ sid: payload['sid'], auth_time: payload['auth_time'] });
    expect(other).not.toHaveProperty('nonce');
  });

  it('signs ID tokens with the algorithm a client registered (id_token_signed_response_alg)', async () => {
    const dir = makeTempDir('identity-seed-');
    const seed = JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')) as { clients: Record<string, unknown>[] };
    const client = seed.clients.find((entry) => entry['client_id'] === 'web-portal') as Record<string, unknown>;
    client['id_token_signed_response_alg'] = 'ES256';
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(seed));
    const other = await startIdentity({ seedFile: join(dir, 'seed.json'), webPortalUrl: portal.url });
    try {
      const { verifier, challenge } = pkcePair();
      const redirectUri = `${portal.url}/callback`;
      const callback = await authorizeWithLogin(
        other.app.url,
        { clientId: 'web-portal', redirectUri, challenge, scope: 'openid' },
        new CookieJar(),
      );
      const response = await postForm(
        `${other.app.url}/oauth/token`,
        {
          grant_type: 'authorization_code',
          code: codeOf(callback),
          redirect_uri: redirectUri,
          code_verifier: verifier,
        },
        { authorization: basicAuth('web-portal', SECRETS['web-portal']) },
      );
      const { id_token: idToken } = (await response.json()) as Tokens;
      expect(decodeProtectedHeader(idToken as string).alg).toBe('ES256');
      await expect(
        jwtVerify(idToken as string, createRemoteJWKSet(new URL(`${other.app.url}/.well-known/jwks.json`)), {
          audience: 'web-portal',
          algorithms: ['ES256'],
          currentDate: new Date(other.clock.now()),
        }),
      ).resolves.toBeDefined();
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('issues no ID token without the openid scope', async () => {
    const tokens = await signIn('web-portal', new CookieJar(), { scope: 'orders:read' });
    expect(tokens.id_token).toBeUndefined();
  });

  it('leaves scopes out of a user grant that the user may not have (bob and inventory:admin)', async () => {
    const scope = 'openid inventory:read inventory:admin';
    const alice = await signIn('admin-console', new CookieJar(), { scope });
    const bob = await signIn('admin-console', new CookieJar(), {
      scope,
      user: { username: 'bob', password: 'bob-password' },
    });
    expect(alice.scope.split(' ')).toContain('inventory:admin');
    expect(bob.scope.split(' ')).not.toContain('inventory:admin');
    expect(bob.scope.split(' ')).toContain('inventory:read');
  });

  describe('userinfo (guarded by the package: strict at+jwt, openid scope)', () => {
    it('answers with the claims of the profile scope', async () => {
      const tokens = await signIn('web-portal', new CookieJar());
      const response = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'alice', name: 'Alice Example', preferred_username: 'alice' });
    });

    it('refuses no token, an ID token, and a token without the openid scope', async () => {
      const jar = new CookieJar();
      const tokens = await signIn('web-portal', jar);
      const none = await fetch(`${base}/userinfo`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="identity"/);
      const idToken = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${tokens.id_token}` } });
      expect(idToken.status).toBe(401);
      const noOpenid = await signIn('web-portal', jar, { scope: 'orders:read' });
      const scoped = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${noOpenid.access_token}` } });
      expect(scoped.status).toBe(403);
      expect(scoped.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
    });
  });

  it('shows "signed in as" on the login page when a session exists, and the form otherwise', async () => {
    const jar = new CookieJar();
    await signIn('web-portal', jar);
    const page = await (await browserGet(`${base}/login`, jar)).text();
    expect(page).toContain('You are signed in as <strong>Alice Example</strong>');
    const fresh = await (await browserGet(`${base}/login`, new CookieJar())).text();
    expect(fresh).toContain('name="csrf_token"');
    expect(fresh).not.toContain('You are signed in');
  });

  describe('RP-initiated logout', () => {
    it('refuses a post_logout_redirect_uri that is not registered, without redirecting or ending the session', async () => {
      const jar = new CookieJar();
      const tokens = await signIn('web-portal', jar);
      for (const uri of ['https://evil.example/signed-out', `${admin.url}/signed-out`, `${portal.url}/signed-out/`]) {
        const url = new URL(`${base}/logout`);
        url.searchParams.set('id_token_hint', tokens.id_token as string);
        url.searchParams.set('post_logout_redirect_uri', uri);
        const response = await browserGet(url.toString(), jar);
        expect(response.status).toBe(400);
        expect(response.headers.get('location')).toBeNull();
        expect(await response.text()).toContain('not registered');
      }
      expect(await (await browserGet(`${base}/login`, jar)).text()).toContain('You are signed in');
    });

    it('refuses an id_token_hint that identity did not sign', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iss: identity.app.issuer, aud: 'web-portal', sub: 'alice' })}`;
      const forged = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', forged);
      url.searchParams.set('post_logout_redirect_uri', `${portal.url}/signed-out`);
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
    });

    it('asks for confirmation when the hint names another session', async () => {
      const jar = new CookieJar();
      const old = await signIn('web-portal', new CookieJar());
      await signIn('web-portal', jar);
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', old.id_token as string);
      const response = await browserGet(url.toString(), jar);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/Sign out\?[\s\S]*name="logout_request"/);
      expect(await (await browserGet(`${base}/login`, jar)).text()).toContain('You are signed in');
    });

    it('ends the session at once with a valid hint, returns to the registered URI with state, and tells every client by back-channel', async () => {
      await portal.start();
      await admin.start();
      try {
        const jar = new CookieJar();
        const tokens = await signIn('web-portal', jar);
        await signIn('admin-console', jar);
        const { payload } = await jwtVerify(
          tokens.id_token as string,
          createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)),
          { currentDate: new Date(identity.clock.now()) },
        );
        const url = new URL(`${base}/logout`);
        url.searchParams.set('id_token_hint', tokens.id_token as string);
        url.searchParams.set('post_logout_redirect_uri', `${portal.url}/signed-out`);
        url.searchParams.set('state', 'after-logout');
        const response = await browserGet(url.toString(), jar);
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toBe(`${portal.url}/signed-out?state=after-logout`);
        expect(jar.get('identity_session')).toBeUndefined();
        await identity.app.nest.get(BackchannelLogoutService).idle();
        const verify = (clientId: string, token: string | undefined) =>
          new LogoutTokenVerifier({
            issuer: identity.app.issuer,
            clientId,
            jwksUri: `${base}/.well-known/jwks.json`,
            allowInsecureHttp: true,
            now: () => identity.clock.now(),
          }).verify(token as string);
        expect(portal.tokens).toHaveLength(1);
        expect(admin.tokens).toHaveLength(1);
        expect(decodeProtectedHeader(portal.tokens[0])).toMatchObject({ typ: 'logout+jwt', alg: 'RS256' });
        await expect(verify('web-portal', portal.tokens[0])).resolves.toMatchObject({
          subject: 'alice',
          sessionId: payload['sid'],
        });
        await expect(verify('admin-console', admin.tokens[0])).resolves.toMatchObject({ sessionId: payload['sid'] });
        // The session is gone: a new authorization request needs the password again.
        const again = await browserGet(
          authorizeUrlOf({
            clientId: 'web-portal',
            redirectUri: `${portal.url}/callback`,
            challenge: pkcePair().challenge,
            scope: 'openid',
            extra: {},
          }),
          jar,
        );
        expect(again.headers.get('location')).toMatch(/^login\?request=/);
      } finally {
        portal.tokens.length = 0;
        admin.tokens.length = 0;
        await portal.stop();
        await admin.stop();
      }
    });

    it('retries a back-channel delivery with backoff while the client is down, without delaying the logout', async () => {
      const jar = new CookieJar();
      const tokens = await signIn('web-portal', jar);
      attempts.length = 0;
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', tokens.id_token as string);
      const response = await browserGet(url.toString(), jar);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('You are signed out');
      // The web portal is down: wait until two deliveries have failed, then bring it up.
      while (attempts.filter((attempt) => attempt.status === 'error').length < 2) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(portal.tokens).toHaveLength(0);
      await portal.start();
      try {
        await identity.app.nest.get(BackchannelLogoutService).idle();
        const portalAttempts = attempts.filter((attempt) => attempt.clientId === 'web-portal');
        expect(portalAttempts.length).toBeGreaterThanOrEqual(3);
        expect(portalAttempts.at(-1)).toMatchObject({ status: 200 });
        expect(portalAttempts.slice(0, 2).every((attempt) => attempt.status === 'error')).toBe(true);
        expect(portal.tokens).toHaveLength(1);
        // Each attempt carries a fresh token, so the client's replay check cannot refuse the retry.
        expect(new Set(portalAttempts.map((attempt) => attempt.jti)).size).toBe(portalAttempts.length);
        const delivered = JSON.parse(Buffer.from(portal.tokens[0].split('.')[1], 'base64url').toString('utf8'));
        expect(delivered.jti).toBe(portalAttempts.at(-1)?.jti);
      } finally {
        await portal.stop();
      }
    });
  });

  it("ends the session on the signed-in page's sign-out button only with that session's CSRF token", async () => {
    const jar = new CookieJar();
    await signIn('web-portal', jar);
    // What a page of another app on this host (same site: the SameSite=Lax cookie rides along) can post.
    for (const fields of [{}, { csrf_token: 'guessed' }]) {
      const refused = await browserPost(`${base}/logout`, fields, jar);
      expect(refused.status).toBe(403);
      expect(jar.get('identity_session')).toBeDefined();
      expect(await (await browserGet(`${base}/login`, jar)).text()).toContain('You are signed in');
    }
    // Another session's token does not end this one.
    const otherJar = new CookieJar();
    await signIn('web-portal', otherJar);
    const otherPage = await (await browserGet(`${base}/login`, otherJar)).text();
    const otherToken = /name="csrf_token" value="([^"]+)"/.exec(otherPage)?.[1] as string;
    expect((await browserPost(`${base}/logout`, { csrf_token: otherToken }, jar)).status).toBe(403);
    const page = await (await browserGet(`${base}/login`, jar)).text();
    const csrfToken =
      /<form method="post" action="logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)">/.exec(page)?.[1];
    expect(csrfToken).toBeDefined();
    const ended = await browserPost(`${base}/logout`, { csrf_token: csrfToken as string }, jar);
    expect(ended.status).toBe(200);
    expect(await ended.text()).toContain('You are signed out');
    expect(jar.get('identity_session')).toBeUndefined();
    await identity.app.nest.get(BackchannelLogoutService).idle();
  });

  describe('ending the session revokes its refresh tokens', () => {
    const refresh = (clientId: string, token: string | undefined) =>
      postForm(
        `${base}/oauth/token`,
        { grant_type: 'refresh_token', refresh_token: token as string },
        { authorization: basicAuth(clientId, SECRETS[clientId]) },
      );

    async function expectRevoked(clientId: string, token: string | undefined): Promise<void> {
      const response = await refresh(clientId, token);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
    }

    beforeEach(() => {
      portal.tokens.length = 0;
      admin.tokens.length = 0;
    });

    afterEach(async () => {
      // Let the back-channel deliveries these logouts started run out while the clients are down.
      await identity.app.nest.get(BackchannelLogoutService).idle();
    });

    it('on RP-initiated logout: the refresh tokens of every client of that session are invalid_grant at once, though back-channel delivery fails', async () => {
      const jar = new CookieJar();
      const other = new CookieJar();
      const portalTokens = await signIn('web-portal', jar);
      const adminTokens = await signIn('admin-console', jar);
      const unrelated = await signIn('web-portal', other);
      // A refresh before logout works and rotates; the successor belongs to the same session.
      const rotated = await refresh('web-portal', portalTokens.refresh_token);
      expect(rotated.status).toBe(200);
      const successor = ((await rotated.json()) as Tokens).refresh_token;
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', portalTokens.id_token as string);
      expect((await browserGet(url.toString(), jar)).status).toBe(200);
      // Both web apps are down: no logout token was delivered, yet the tokens are dead already.
      expect(portal.tokens).toHaveLength(0);
      await expectRevoked('web-portal', successor);
      await expectRevoked('admin-console', adminTokens.refresh_token);
      // Another session of the same user is untouched.
      expect((await refresh('web-portal', unrelated.refresh_token)).status).toBe(200);
    });

    it('on the plain sign-out (confirmed POST /logout) and when a new login replaces the session', async () => {
      const jar = new CookieJar();
      const first = await signIn('web-portal', jar);
      const confirm = await (await browserGet(`${base}/logout`, jar)).text();
      const logoutRequest = /name="logout_request" value="([^"]+)"/.exec(confirm)?.[1];
      const cookie = `identity_session=${jar.get('identity_session')}`;
      const ended = await postForm(`${base}/logout`, { logout_request: logoutRequest as string }, { cookie });
      expect(ended.status).toBe(200);
      await expectRevoked('web-portal', first.refresh_token);

      // Signing in again in a browser that has a session replaces it (a fresh id at every login).
      const replacedJar = new CookieJar();
      const replaced = await signIn('web-portal', replacedJar);
      const relogin = new CookieJar();
      const form = await (await browserGet(`${base}/login`, relogin)).text();
      relogin.set('identity_session', replacedJar.get('identity_session') as string);
      const login = await browserPost(
        `${base}/login`,
        { csrf_token: csrfTokenOf(form), username: 'alice', password: 'alice-password' },
        relogin,
      );
      expect(login.status).toBe(200);
      expect(relogin.get('identity_session')).not.toBe(replacedJar.get('identity_session'));
      await expectRevoked('web-portal', replaced.refresh_token);
    });

    it('refuses refresh tokens redeemed from a code of the session after it ended', async () => {
      const jar = new CookieJar();
      const first = await signIn('web-portal', jar);
      const { verifier, challenge } = pkcePair();
      const redirectUri = `${portal.url}/callback`;
      const location = (
        await browserGet(
          authorizeUrlOf({ clientId: 'web-portal', redirectUri, challenge, scope: 'openid', extra: {} }),
          jar,
        )
      ).headers.get('location') as string;
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', first.id_token as string);
      expect((await browserGet(url.toString(), jar)).status).toBe(200);
      const late = await postForm(
        `${base}/oauth/token`,
        {
          grant_type: 'authorization_code',
          code: codeOf(new URL(location)),
          redirect_uri: redirectUri,
          code_verifier: verifier,
        },
        { authorization: basicAuth('web-portal', SECRETS['web-portal']) },
      );
      await expectRevoked('web-portal', ((await late.json()) as Tokens).refresh_token);
    });
  });

  it('keeps a delivery that throws inside the service: idle() resolves, nothing is left as an unhandled rejection', async () => {
    const service = identity.app.nest.get(BackchannelLogoutService);
    const jar = new CookieJar();
    const tokens = await signIn('web-portal', jar);
    service.onAttempt = () => {
      throw new Error('observer failed');
    };
    try {
      const url = new URL(`${base}/logout`);
      url.searchParams.set('id_token_hint', tokens.id_token as string);
      expect((await browserGet(url.toString(), jar)).status).toBe(200);
      await expect(service.idle()).resolves.toBeUndefined();
    } finally {
      service.onAttempt = (attempt) => attempts.push(attempt);
    }
  });

  describe('with openid-client as the relying party', () => {
    async function relyingParty(): Promise<oidc.Configuration> {
      return oidc.discovery(
        new URL(identity.app.issuer),
        'web-portal',
        { id_token_signed_response_alg: 'RS256' },
        oidc.ClientSecretBasic(SECRETS['web-portal']),
        { execute: [oidc.allowInsecureRequests] },
      );
    }

    async function authorizationResponse(config: oidc.Configuration, nonce: string, verifier: string, state: string) {
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: `${portal.url}/callback`,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const jar = new CookieJar();
      const authorize = await browserGet(url.toString(), jar);
      const loginUrl = new URL(authorize.headers.get('location') as string, url);
      const page = await (await browserGet(loginUrl.toString(), jar)).text();
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1] as string;
      const login = await postForm(
        new URL('login', loginUrl).toString(),
        { csrf_token: csrf, username: 'alice', password: 'alice-password' },
        { cookie: jar.header() },
      );
      return new URL(login.headers.get('location') as string);
    }

    it('signs in with the certified client library (code, PKCE, nonce, iss, ID token checks)', async () => {
      const config = await relyingParty();
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const state = oidc.randomState();
      const callback = await authorizationResponse(config, nonce, verifier, state);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: state,
        idTokenExpected: true,
      });
      expect(tokens.claims()).toMatchObject({ sub: 'alice', nonce, aud: 'web-portal' });
      await expect(oidc.fetchUserInfo(config, tokens.access_token, 'alice')).resolves.toMatchObject({
        name: 'Alice Example',
      });
    });

    it('refuses an ID token whose nonce is not the one the client sent', async () => {
      const config = await relyingParty();
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const callback = await authorizationResponse(config, oidc.randomNonce(), verifier, state);
      const refusal = await oidc
        .authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: verifier,
          expectedNonce: oidc.randomNonce(),
          expectedState: state,
        })
        .then(
          () => undefined,
          (error: unknown) => error as oidc.ClientError,
        );
      expect(refusal).toBeInstanceOf(oidc.ClientError);
      expect(refusal?.code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
      expect((refusal?.cause as Error).message).toContain('"nonce"');
    });
  });
});
