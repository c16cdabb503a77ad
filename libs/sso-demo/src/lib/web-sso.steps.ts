import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ScenarioTarget } from './sso-system';

/** Where Chromium is looked for; `CHROMIUM_PATH` overrides. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** Options of {@link webSsoSteps}. */
export interface WebSsoStepOptions {
  /** Directory the screenshots of every step are written to (created when missing). */
  readonly screenshotDir: string;
  /** Chromium executable. @default `CHROMIUM_PATH` or /usr/bin/chromium */
  readonly chromiumPath?: string;
}

/** One scenario step (same shape as the scenario's own steps). */
export interface WebSsoStep {
  readonly title: string;
  readonly run: (target: ScenarioTarget) => Promise<string>;
}

const ALICE = { username: 'alice', password: 'alice-password', name: 'Alice Example' };
const BOB = { username: 'bob', password: 'bob-password', name: 'Bob Example' };

/** The screenshot file names, in step order. */
export const WEB_SSO_SCREENSHOTS = [
  '01-identity-login.png',
  '02-portal-orders.png',
  '03-admin-inventory.png',
  '04-admin-bob-refused.png',
  '05-portal-signed-out.png',
  '06-admin-signed-out.png',
  '07-login-again.png',
] as const;

class BrowserStepFailure extends Error {}

function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BrowserStepFailure(message);
}

/** Browser, contexts and pages shared by the steps; closed by the last step or by the first failure. */
class BrowserSession {
  browser: Browser | undefined;
  alice: Page | undefined;
  identityLoginRequests = 0;

  constructor(
    private readonly options: Required<WebSsoStepOptions>,
    private readonly identityUrl: () => string,
  ) {}

  async start(): Promise<void> {
    const { chromium } = await import('playwright-core');
    this.browser = await chromium.launch({
      executablePath: this.options.chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        // Nothing beyond the loopback interface, whatever a page asks for.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    mkdirSync(this.options.screenshotDir, { recursive: true });
  }

  async context(): Promise<BrowserContext> {
    expectThat(this.browser, 'the browser is not running');
    const context = await this.browser.newContext({ viewport: { width: 820, height: 460 } });
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === new URL(this.identityUrl()).origin && url.pathname === '/login') this.identityLoginRequests++;
    });
    return context;
  }

  async shot(page: Page, index: number): Promise<string> {
    const file = join(this.options.screenshotDir, WEB_SSO_SCREENSHOTS[index]);
    await page.screenshot({ path: file });
    return WEB_SSO_SCREENSHOTS[index];
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    await browser?.close().catch(() => undefined);
  }
}

async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.locator('#username').fill(user.username);
  await page.locator('#password').fill(user.password);
  await Promise.all([page.waitForNavigation(), page.locator('button[type=submit]').click()]);
}

async function isLoginForm(page: Page): Promise<boolean> {
  return (await page.locator('#username').count()) > 0 && (await page.locator('#password').count()) > 0;
}

/**
 * The single sign-on a person sees, in Chromium: web-portal and admin-console are both OpenID Connect clients of
 * identity (openid-client, code + PKCE). One login serves both; a second user lacks the admin scope; signing out of one
 * signs out of both (back-channel logout); then the password is asked again. Without Chromium, one step says so.
 */
export function webSsoSteps(options: WebSsoStepOptions): WebSsoStep[] {
  const chromiumPath = options.chromiumPath ?? process.env['CHROMIUM_PATH'] ?? DEFAULT_CHROMIUM_PATH;
  if (!existsSync(chromiumPath)) {
    return [
      {
        title: 'web-portal and admin-console in Chromium (browser steps)',
        run: async () => `skipped: Chromium not found at ${chromiumPath} (install it or set CHROMIUM_PATH)`,
      },
    ];
  }
  let identityUrl = '';
  const session = new BrowserSession({ screenshotDir: options.screenshotDir, chromiumPath }, () => identityUrl);
  // Any failure closes the browser: the scenario skips the remaining steps.
  const guarded =
    (run: (target: ScenarioTarget) => Promise<string>) =>
    async (target: ScenarioTarget): Promise<string> => {
      try {
        return await run(target);
      } catch (error) {
        await session.close();
        throw error;
      }
    };
  return [
    {
      title: 'web-portal: alice opens it, signs in once at identity (openid-client, code + PKCE), sees her orders',
      run: guarded(async (target) => {
        identityUrl = target.identityUrl;
        await session.start();
        const page = await (await session.context()).newPage();
        session.alice = page;
        await page.goto(`${target.webPortalUrl}/orders`);
        expectThat(
          page.url().startsWith(`${target.identityUrl}/login`),
          `expected the identity login page, at ${page.url()}`,
        );
        expectThat(await isLoginForm(page), 'the identity login form was not shown');
        const loginShot = await session.shot(page, 0);
        await signIn(page, ALICE);
        expectThat(page.url() === `${target.webPortalUrl}/orders`, `after sign-in the browser is at ${page.url()}`);
        let rows = await page.locator('#orders tbody tr').count();
        if (rows === 0) {
          await Promise.all([page.waitForNavigation(), page.locator('form[action="/orders"] button').click()]);
          rows = await page.locator('#orders tbody tr').count();
        }
        const heading = await page.locator('h1').textContent();
        expectThat(
          heading === `Orders of ${ALICE.name}` && rows > 0,
          `the orders page shows "${heading}" with ${rows} row(s)`,
        );
        const ordersShot = await session.shot(page, 1);
        return `login form at identity, back at /orders: "${heading}", ${rows} order(s) from orders-api; ${loginShot}, ${ordersShot}`;
      }),
    },
    {
      title: 'admin-console: alice is signed in without the login form (SSO) and sees the inventory',
      run: guarded(async (target) => {
        const page = session.alice as Page;
        const before = session.identityLoginRequests;
        await page.goto(`${target.adminConsoleUrl}/inventory`);
        expectThat(session.identityLoginRequests === before, 'the identity login page was requested again');
        expectThat(page.url() === `${target.adminConsoleUrl}/inventory`, `the browser is at ${page.url()}`);
        const rows = await page.locator('#inventory tbody tr').count();
        expectThat(rows === 3, `the inventory table has ${rows} row(s)`);
        const who = await page.locator('.who').textContent();
        expectThat(who?.includes(ALICE.name), `the header says "${who}"`);
        return `no login form; "${who?.trim()}"; ${rows} SKUs via orders-api GET /admin/inventory; ${await session.shot(page, 2)}`;
      }),
    },
    {
      title: 'admin-console: bob (no inventory:admin) is refused the admin action with a clear 403 page',
      run: guarded(async (target) => {
        const context = await session.context();
        const page = await context.newPage();
        await page.goto(`${target.adminConsoleUrl}/inventory`);
        expectThat(await isLoginForm(page), `bob was not asked to sign in (at ${page.url()})`);
        await signIn(page, BOB);
        const response = await page.reload();
        const text = (await page.locator('main').textContent()) ?? '';
        expectThat(
          response?.status() === 403 && text.includes('Not allowed') && text.includes(BOB.name),
          `expected a 403 page for bob, got ${response?.status()}: ${text.slice(0, 120)}`,
        );
        const shot = await session.shot(page, 3);
        await context.close();
        return `403 "Not allowed" for ${BOB.name}; ${shot}`;
      }),
    },
    {
      title: 'signing out of web-portal signs alice out of admin-console too (back-channel logout)',
      run: guarded(async (target) => {
        const page = session.alice as Page;
        await page.goto(`${target.webPortalUrl}/`);
        await Promise.all([
          page.waitForURL(`${target.webPortalUrl}/signed-out`),
          page.locator('form[action="/logout"] button').click(),
        ]);
        const signedOutShot = await session.shot(page, 4);
        // The back-channel delivery runs beside the person's logout, so the admin console may need a moment.
        let attempts = 0;
        let text = '';
        do {
          if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, 250));
          await page.goto(`${target.adminConsoleUrl}/`);
          text = (await page.locator('main').textContent()) ?? '';
          attempts++;
        } while (!text.includes('You are not signed in') && attempts < 40);
        expectThat(text.includes('You are not signed in'), `admin-console still shows: ${text.slice(0, 120)}`);
        return `portal /signed-out via identity's end_session_endpoint; admin-console signed out (checked ${attempts}x); ${signedOutShot}, ${await session.shot(page, 5)}`;
      }),
    },
    {
      title: 'a fresh visit asks for the password again',
      run: guarded(async (target) => {
        const page = session.alice as Page;
        await page.goto(`${target.adminConsoleUrl}/inventory`);
        expectThat(await isLoginForm(page), `no login form on a fresh visit (at ${page.url()})`);
        const shot = await session.shot(page, 6);
        await session.close();
        return `admin-console /inventory -> identity login form; ${shot}`;
      }),
    },
  ];
}
