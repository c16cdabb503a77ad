import { startWebApp, type WebApp } from './web-app';
import { webAppConfigFromEnv } from './web-app.config';

// Every app on 127.0.0.1 is one site whatever its port, so SameSite=Lax cookies ride along on a form another of them
// posts; the Origin header is what tells the app's own forms apart.
describe('startWebApp: state-changing requests from another origin', () => {
  let app: WebApp;

  beforeAll(async () => {
    const config = webAppConfigFromEnv(
      { PORT: '0', OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_SECRET: 's', OIDC_ALLOW_INSECURE_HTTP: 'true' },
      { name: 'web-portal', title: 'Web Portal', port: 0, clientId: 'web-portal', scope: 'openid' },
    );
    app = await startWebApp({ config, controllers: [], nav: [], logger: false });
  });
  afterAll(() => app.close());

  function post(path: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: '',
      redirect: 'manual',
    });
  }

  it('refuses a form post whose Origin is another origin of the same host (403, nothing done)', async () => {
    const otherPort = new URL(app.url).port === '9' ? '10' : '9';
    const response = await post('/logout', { origin: `http://127.0.0.1:${otherPort}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses a post the browser marks cross-site or same-site', async () => {
    expect((await post('/logout', { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await post('/logout', { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  });

  it("serves the app's own form posts and clients that send no Origin", async () => {
    const own = await post('/logout', { origin: app.url, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(303);
    expect(own.headers.get('location')).toBe('/signed-out');
    expect((await post('/logout', {})).status).toBe(303);
    // A page under Referrer-Policy: no-referrer posts its own forms with Origin: null.
    expect((await post('/logout', { origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await post('/logout', { origin: 'null' })).status).toBe(403);
  });

  it('leaves the back-channel logout endpoint to its token (a server-to-server POST)', async () => {
    const response = await post('/backchannel-logout', { origin: 'http://127.0.0.1:9' });
    expect(response.status).toBe(400);
  });
});
