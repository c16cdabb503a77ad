import { randomBytes } from 'node:crypto';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import {
  authorizationUrl,
  codeFromRedirect,
  exchangeCode,
  pkcePair,
  WEB_APP,
  type SsoSystem,
} from '@nest-sso/sso-demo';
import { call, startSystem } from './support/system';

const CHROMIUM = '/usr/bin/chromium';

interface Traffic {
  /** Redirects to the client's redirect URI, answered by the test instead of the browser following them. */
  readonly callbacks: URL[];
  /** Origins outside 127.0.0.1 the page tried to reach (aborted). */
  readonly outside: string[];
}

/**
 * Route every request: nothing outside 127.0.0.1 is reached, and the identity service's redirects to the client's
 * redirect URI are answered here, with the code captured. Playwright does not route the request that follows a
 * redirect, so identity's answers are fetched without following redirects and the one pointing at the callback is
 * replaced by a page (its Set-Cookie kept, so the browser holds the SSO session as it would).
 */
async function routeLoopbackOnly(context: BrowserContext, identityUrl: string): Promise<Traffic> {
  const traffic: Traffic = { callbacks: [], outside: [] };
  const identityOrigin = new URL(identityUrl).origin;
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      traffic.outside.push(url.origin);
      return route.abort();
    }
    if (url.origin !== identityOrigin) return route.abort();
    const response = await route.fetch({ maxRedirects: 0 });
    const { location, ...headers } = response.headers();
    const target = location ? new URL(location, url) : undefined;
    if (target && `${target.origin}${target.pathname}` === WEB_APP.redirectUri) {
      traffic.callbacks.push(target);
      return route.fulfill({
        status: 200,
        headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
        body: 'callback received',
      });
    }
    return route.fulfill({ response });
  });
  return traffic;
}

describe('SSO login in a real browser (Chromium)', () => {
  let system: SsoSystem;
  let browser: Browser;

  beforeAll(async () => {
    system = await startSystem();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('signs alice in through the login form and hands the code to the client, which exchanges it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const traffic = await routeLoopbackOnly(context, system.identityUrl);

    const { verifier, challenge } = pkcePair();
    const state = randomBytes(8).toString('hex');
    await page.goto(authorizationUrl(system.identityUrl, WEB_APP, challenge, state));
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(login.status()).toBe(200);
    await expect(page.locator('body').textContent()).resolves.toBe('callback received');

    expect(traffic.callbacks).toHaveLength(1);
    const code = codeFromRedirect(traffic.callbacks[0], WEB_APP, state, system.issuer);
    const tokens = await exchangeCode(system.identityUrl, WEB_APP, code, verifier);
    await expect(call('GET', `${system.ordersUrl}/me`, tokens.access_token)).resolves.toMatchObject({
      status: 200,
      body: { sub: 'alice', clientId: 'web-app' },
    });

    // The browser now holds the SSO session: a second authorization request skips the form.
    await page.goto(authorizationUrl(system.identityUrl, WEB_APP, pkcePair().challenge, 'second'));
    expect(traffic.callbacks).toHaveLength(2);
    expect(traffic.callbacks[1].searchParams.get('state')).toBe('second');
    expect(traffic.callbacks[1].searchParams.get('code')).toMatch(/^\S+$/);
    expect(traffic.outside).toEqual([]);
    await context.close();
  });

  it('shows an error and redirects nowhere after a wrong password', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const traffic = await routeLoopbackOnly(context, system.identityUrl);
    await page.goto(authorizationUrl(system.identityUrl, WEB_APP, pkcePair().challenge, 'x'));
    await page.fill('#username', 'alice');
    await page.fill('#password', 'wrong-password');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(response.status()).toBe(401);
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe('Invalid username or password.');
    expect(traffic.callbacks).toEqual([]);
    expect(traffic.outside).toEqual([]);
    await context.close();
  });
});
