import { startWebApp, type WebApp } from './web-app';
import { webAppConfigFromEnv } from './web-app.config';

const DEFAULTS = { name: 'web-portal', title: 'Web Portal', port: 0, clientId: 'web-portal', scope: 'openid' };

// The env contract: no new required variable where a clear 503 serves. Without OIDC_ISSUER / OIDC_CLIENT_SECRET the
// app starts, /health answers, and every other route says which variable to set.
describe('startWebApp without the sign-in variables', () => {
  let app: WebApp;

  beforeAll(async () => {
    app = await startWebApp({
      config: webAppConfigFromEnv({ PORT: '0' }, DEFAULTS),
      controllers: [],
      nav: [],
      logger: false,
    });
  });
  afterAll(() => app.close());

  it('serves /health, saying which variables sign-in lacks', async () => {
    const response = await fetch(`${app.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      signIn: 'not configured',
      missing: ['OIDC_ISSUER', 'OIDC_CLIENT_SECRET'],
    });
  });

  it('answers a page that needs sign-in with a 503 page naming both variables', async () => {
    const response = await fetch(`${app.url}/login?returnTo=/orders`, { redirect: 'manual' });
    expect(response.status).toBe(503);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('Sign-in is not configured');
    expect(page).toContain('until OIDC_ISSUER and OIDC_CLIENT_SECRET are set');
  });

  it('answers JSON to a client that prefers it, and refuses back-channel logout with 503', async () => {
    const response = await fetch(`${app.url}/callback?code=x&state=y`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: 'sign_in_not_configured',
      missing: ['OIDC_ISSUER', 'OIDC_CLIENT_SECRET'],
    });
    const backchannel = await fetch(`${app.url}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=a.b.c',
    });
    expect(backchannel.status).toBe(503);
  });

  it('names only the variable still missing', async () => {
    const other = await startWebApp({
      config: webAppConfigFromEnv({ PORT: '0', OIDC_ISSUER: 'https://id.example.com' }, DEFAULTS),
      controllers: [],
      nav: [],
      logger: false,
    });
    try {
      const page = await (await fetch(`${other.url}/login`, { redirect: 'manual' })).text();
      expect(page).toContain('until OIDC_CLIENT_SECRET is set');
      expect(page).not.toContain('OIDC_ISSUER');
    } finally {
      await other.close();
    }
  });
});
