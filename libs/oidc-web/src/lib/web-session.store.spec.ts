import { safeReturnPath } from './auth.controller';
import { webAppConfigFromEnv } from './web-app.config';
import { WebSessionStore, type WebSession } from './web-session.store';

function session(sub: string, sid: string | undefined, expiresAt = Date.now() + 60_000): WebSession {
  return {
    sub,
    sid,
    name: sub,
    idToken: 'id',
    accessToken: 'at',
    refreshToken: undefined,
    accessTokenExpiresAt: expiresAt,
    scopes: [],
    refreshCount: 0,
    expiresAt,
  };
}

describe('WebSessionStore', () => {
  it('finds a session only by the cookie value it handed out', () => {
    const store = new WebSessionStore();
    const id = store.create(session('alice', 's1'));
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.find(id)?.sub).toBe('alice');
    expect(store.find(`${id}x`)).toBeUndefined();
    expect(store.find(undefined)).toBeUndefined();
  });

  it('ends the sessions of a sid, of a sub, or of both together, and nothing for neither', () => {
    const store = new WebSessionStore();
    const a1 = store.create(session('alice', 's1'));
    const a2 = store.create(session('alice', 's2'));
    const b1 = store.create(session('bob', 's3'));
    expect(store.destroyMatching(undefined, undefined)).toBe(0);
    expect(store.destroyMatching('s1', 'bob')).toBe(0);
    expect(store.destroyMatching('s1', 'alice')).toBe(1);
    expect(store.find(a1)).toBeUndefined();
    expect(store.find(a2)).toBeDefined();
    expect(store.destroyMatching(undefined, 'alice')).toBe(1);
    expect(store.find(a2)).toBeUndefined();
    expect(store.find(b1)).toBeDefined();
  });

  it('forgets expired sessions and single-use sign-in transactions', () => {
    let now = 1_000_000;
    const store = new WebSessionStore(() => now);
    const id = store.create(session('alice', 's1', now + 1000));
    const tx = store.startLogin({ state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', expiresAt: now + 1000 });
    expect(store.takeLogin(tx)?.nonce).toBe('n');
    expect(store.takeLogin(tx)).toBeUndefined();
    now += 1000;
    expect(store.find(id)).toBeUndefined();
  });
});

describe('safeReturnPath', () => {
  it.each(['/', '/orders', '/inventory?x=1'])('keeps the same-origin path %s', (path) => {
    expect(safeReturnPath(path)).toBe(path);
  });

  it.each(['//evil.example/x', '/\\evil.example', 'https://evil.example', 'orders', '', undefined, ['/a']])(
    'turns %p into /',
    (value) => {
      expect(safeReturnPath(value)).toBe('/');
    },
  );
});

describe('webAppConfigFromEnv', () => {
  const defaults = { name: 'web-portal', title: 'Web Portal', port: 3100, clientId: 'web-portal', scope: 'openid' };

  it('names every problem at once', () => {
    expect(() =>
      webAppConfigFromEnv(
        { OIDC_ISSUER: 'http://127.0.0.1:1', PORT: 'x', SESSION_TTL_SECONDS: 'soon', OIDC_CLIENT_SECRET: 's' },
        defaults,
      ),
    ).toThrow(/PORT[\s\S]*OIDC_ISSUER[\s\S]*SESSION_TTL_SECONDS/);
  });

  it('requires neither OIDC_ISSUER nor OIDC_CLIENT_SECRET: unset, they are listed in signInMissing', () => {
    expect(webAppConfigFromEnv({}, defaults)).toMatchObject({
      issuer: undefined,
      clientSecret: undefined,
      signInMissing: ['OIDC_ISSUER', 'OIDC_CLIENT_SECRET'],
    });
    expect(
      webAppConfigFromEnv({ OIDC_ISSUER: 'https://id.example.com', OIDC_CLIENT_SECRET: 's' }, defaults).signInMissing,
    ).toEqual([]);
    // Invalid is still fatal.
    expect(() => webAppConfigFromEnv({ OIDC_ISSUER: 'not a url' }, defaults)).toThrow(
      /OIDC_ISSUER: must be an absolute URL/,
    );
  });

  it('admits an http issuer on loopback only with OIDC_ALLOW_INSECURE_HTTP', () => {
    const config = webAppConfigFromEnv(
      { OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_SECRET: 's', OIDC_ALLOW_INSECURE_HTTP: 'true' },
      defaults,
    );
    expect(config).toMatchObject({
      port: 3100,
      clientId: 'web-portal',
      refreshMarginSeconds: 60,
      allowInsecureHttp: true,
    });
    expect(() =>
      webAppConfigFromEnv(
        { OIDC_ISSUER: 'http://id.example.com', OIDC_CLIENT_SECRET: 's', OIDC_ALLOW_INSECURE_HTTP: 'true' },
        defaults,
      ),
    ).toThrow(/OIDC_ISSUER: OIDC_ALLOW_INSECURE_HTTP allows http only/);
    expect(() => webAppConfigFromEnv({ OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_SECRET: 's' }, defaults)).toThrow(
      /OIDC_ISSUER: .*set OIDC_ALLOW_INSECURE_HTTP=true/,
    );
  });
});
