import { join } from 'node:path';
import { ChildService } from '@nest-sso/sso-demo';
import { ROOT_DIR } from './support/system';

// The env contract for the built web apps: no required variable where a clear 503 serves; invalid values exit 1
// naming each problem.
describe.each([
  { app: 'web-portal', page: '/orders' },
  { app: 'admin-console', page: '/inventory' },
])('$app started with PORT=0 only', ({ app, page }) => {
  const script = join(ROOT_DIR, 'dist', 'apps', app, 'main.js');
  let service: ChildService;
  let url: string;

  beforeAll(async () => {
    const started = await ChildService.start({
      name: app,
      script,
      env: { PORT: '0' },
      ready: new RegExp(`${app} listening on (http://127\\.0\\.0\\.1:\\d+)`),
    });
    service = started.service;
    url = started.match[1];
  });
  afterAll(() => service?.stop());

  it('runs, says in its log what is missing, and answers /health', async () => {
    expect(service.output().join('\n')).toMatch(/sign-in is not configured.*OIDC_ISSUER and OIDC_CLIENT_SECRET/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      signIn: 'not configured',
      missing: ['OIDC_ISSUER', 'OIDC_CLIENT_SECRET'],
    });
  });

  it(`answers ${page} with a 503 page naming the variables to set (JSON when asked)`, async () => {
    const response = await fetch(`${url}${page}`, { redirect: 'manual' });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain('Sign-in is not configured');
    expect(html).toContain('OIDC_ISSUER and OIDC_CLIENT_SECRET');
    const json = await fetch(`${url}${page}`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(await json.json()).toMatchObject({ error: 'sign_in_not_configured' });
  });

  it('still exits 1 on invalid values, naming each problem', async () => {
    const { code, lines } = await ChildService.run({
      name: app,
      script,
      env: {
        PORT: '0',
        OIDC_ISSUER: 'not a url',
        OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG: 'HS256',
        SESSION_TTL_SECONDS: 'x',
      },
    });
    expect(code).toBe(1);
    const output = lines.join('\n');
    expect(output).toContain('OIDC_ISSUER: must be an absolute URL');
    expect(output).toContain('OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG: must be one of');
    expect(output).toContain('SESSION_TTL_SECONDS: must be a whole number');
  });
});
