import {
  ADMIN_PORTAL,
  ALICE,
  authorize,
  BILLING_WORKER,
  clientCredentialsToken,
  CookieJar,
  jwsHeader,
  refreshTokens,
  WEB_APP,
  type TokenResponse,
} from './oauth-client';
import type { ScenarioTarget } from './sso-system';
import { webSsoSteps } from './web-sso.steps';
import { x509Steps } from './x509-steps';

/** The outcome of one scenario step. */
export interface StepResult {
  /** 1-based position. */
  readonly index: number;
  /** What the step shows. */
  readonly title: string;
  /** Whether it succeeded. */
  readonly ok: boolean;
  /** What happened (never a token). */
  readonly outcome: string;
}

/** The outcome of {@link runScenario}. */
export interface ScenarioResult {
  /** True when every step succeeded. */
  readonly ok: boolean;
  /** Every step, in order. */
  readonly steps: readonly StepResult[];
}

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** End with the identity service stopped, proving the resource services verify offline. @default true */
  readonly stopIdentity?: boolean;
  /** Called as each step finishes. */
  readonly onStep?: (step: StepResult) => void;
  /** Where the browser steps save their screenshots. @default `tmp/sso-screenshots` under the working directory */
  readonly screenshotDir?: string;
}

/** An HTTP answer reduced to what the scenario checks. */
interface ApiAnswer {
  readonly status: number;
  readonly challenge: string | null;
  readonly body: Record<string, unknown>;
}

/** State handed from step to step. */
interface ScenarioState {
  readonly jar: CookieJar;
  alice?: TokenResponse;
  aliceRotated?: TokenResponse;
  admin?: TokenResponse;
}

/** A step failed: the message says what was expected and what came. */
class StepFailure extends Error {}

function expectThat(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailure(message);
}

async function api(method: string, url: string, token?: string, body?: unknown): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text: text.slice(0, 200) };
  }
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: parsed,
  };
}

const short = (kid: string | undefined) => (kid ? `${kid.slice(0, 8)}…` : '(none)');

function describeToken(tokens: TokenResponse): string {
  const { alg, kid } = jwsHeader(tokens.access_token);
  return `${alg} token (kid ${short(kid)}), scope "${tokens.scope ?? ''}", expires in ${tokens.expires_in}s`;
}

async function placeOrder(target: ScenarioTarget, token: string, who: string): Promise<Record<string, unknown>> {
  const created = await api('POST', `${target.ordersUrl}/orders`, token, {
    sku: 'SKU-1',
    quantity: 1,
  });
  expectThat(created.status === 201, `POST /orders answered ${created.status} ${JSON.stringify(created.body)}`);
  const order = created.body['order'] as Record<string, unknown>;
  expectThat(
    order?.['createdBy'] === who && typeof order['reservationId'] === 'string',
    `unexpected order ${JSON.stringify(order)}`,
  );
  return order;
}

async function expectOrdersReadable(target: ScenarioTarget, token: string, label: string): Promise<number> {
  const answer = await api('GET', `${target.ordersUrl}/orders`, token);
  expectThat(
    answer.status === 200 && Array.isArray(answer.body['orders']),
    `GET /orders with ${label} answered ${answer.status}`,
  );
  return (answer.body['orders'] as unknown[]).length;
}

/** Traffic that keeps running while keys rotate; counts answers other than 200. */
function startTraffic(
  url: string,
  token: string,
  workers = 2,
): { stop(): Promise<{ ok: number; failed: number; failures: string[] }> } {
  let running = true;
  const counts = { ok: 0, failed: 0, failures: [] as string[] };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const answer = await api('GET', url, token);
        if (answer.status === 200) counts.ok++;
        else {
          counts.failed++;
          counts.failures.push(`${answer.status} ${answer.challenge ?? ''}`);
        }
      } catch (error) {
        counts.failed++;
        counts.failures.push((error as Error).message);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return counts;
    },
  };
}

type Step = {
  readonly title: string;
  readonly run: (target: ScenarioTarget, state: ScenarioState) => Promise<string>;
};

function steps(stopIdentity: boolean, screenshotDir = 'tmp/sso-screenshots'): Step[] {
  const x509 = x509Steps();
  const list: Step[] = [
    {
      title: 'identity, orders-api and inventory-service are up',
      async run(target) {
        const discovery = await api('GET', `${target.identityUrl}/.well-known/openid-configuration`);
        expectThat(
          discovery.status === 200 && discovery.body['issuer'] === target.issuer,
          `discovery answered ${discovery.status} naming issuer ${JSON.stringify(discovery.body['issuer'])}`,
        );
        for (const url of [`${target.ordersUrl}/health`, `${target.inventoryUrl}/health`]) {
          const health = await api('GET', url);
          expectThat(health.status === 200 && health.body['status'] === 'ok', `${url} answered ${health.status}`);
        }
        return `issuer ${target.issuer}; orders-api ${target.ordersUrl}; inventory-service ${target.inventoryUrl}`;
      },
    },
    {
      title: 'alice signs in to web-app once (authorization code + PKCE, login form with CSRF token)',
      async run(target, state) {
        const { tokens, loginFormShown } = await authorize(
          target.identityUrl,
          target.issuer,
          WEB_APP,
          state.jar,
          ALICE,
        );
        expectThat(loginFormShown, 'the login form was not shown');
        expectThat(tokens.refresh_token, 'no refresh token was issued');
        state.alice = tokens;
        return describeToken(tokens);
      },
    },
    {
      title: 'GET /me at orders-api shows who the token is for',
      async run(target, state) {
        const me = await api('GET', `${target.ordersUrl}/me`, state.alice?.access_token);
        expectThat(
          me.status === 200 && me.body['sub'] === 'alice',
          `GET /me answered ${me.status} ${JSON.stringify(me.body)}`,
        );
        return `200 sub=${String(me.body['sub'])} client_id=${String(me.body['clientId'])}`;
      },
    },
    {
      title: 'GET /orders with orders:read',
      async run(target, state) {
        const count = await expectOrdersReadable(target, state.alice?.access_token as string, "alice's token");
        return `200, ${count} order(s)`;
      },
    },
    {
      title: "POST /orders reserves stock in inventory-service over TCP, relaying alice's token",
      async run(target, state) {
        const order = await placeOrder(target, state.alice?.access_token as string, 'alice');
        const count = await expectOrdersReadable(target, state.alice?.access_token as string, "alice's token");
        return `201 order ${String(order['id']).slice(0, 12)}…: ${String(order['quantity'])} x ${String(order['sku'])} reserved for alice; alice now has ${count} order(s)`;
      },
    },
    {
      title: 'admin-portal gets a code without a second login (SSO session)',
      async run(target, state) {
        const { tokens, loginFormShown } = await authorize(target.identityUrl, target.issuer, ADMIN_PORTAL, state.jar);
        expectThat(!loginFormShown, 'the login form was shown again');
        state.admin = tokens;
        await expectOrdersReadable(target, tokens.access_token, "admin-portal's token");
        return `no login form; ${describeToken(tokens)}; GET /orders 200`;
      },
    },
    {
      title: 'admin-portal may read but not place orders (403 insufficient_scope)',
      async run(target, state) {
        const answer = await api('POST', `${target.ordersUrl}/orders`, state.admin?.access_token, {
          sku: 'SKU-1',
          quantity: 1,
        });
        expectThat(
          answer.status === 403 && /error="insufficient_scope"/.test(answer.challenge ?? ''),
          `POST /orders answered ${answer.status} ${answer.challenge}`,
        );
        return `403 WWW-Authenticate: ${answer.challenge}`;
      },
    },
    {
      title: 'billing-worker: client-credentials token, then inventory:read and inventory:reserve over TCP',
      async run(target) {
        const run = await target.runBillingWorker();
        expectThat(
          run.code === 0 && run.result?.ok === true,
          `billing-worker exited ${run.code}: ${JSON.stringify(run.result?.error ?? null)}`,
        );
        const reservation = run.result?.reservation;
        expectThat(reservation?.reservedBy === BILLING_WORKER.clientId, `reservation by ${reservation?.reservedBy}`);
        return `exit 0; reserved ${reservation?.quantity} x ${reservation?.sku} as ${reservation?.reservedBy}, ${reservation?.remaining} left`;
      },
    },
    {
      title: 'a token for another audience is refused (billing-worker token at orders-api)',
      async run(target) {
        const machine = await clientCredentialsToken(
          target.identityUrl,
          BILLING_WORKER.clientId,
          BILLING_WORKER.clientSecret,
        );
        const answer = await api('GET', `${target.ordersUrl}/orders`, machine.access_token);
        expectThat(
          answer.status === 401 && /error="invalid_token"/.test(answer.challenge ?? ''),
          `GET /orders answered ${answer.status}`,
        );
        return `401 ${String(answer.body['error'])}`;
      },
    },
    {
      title: 'signing keys rotate mid-run: no failed request, old and new tokens accepted',
      async run(target, state) {
        const before = state.alice as TokenResponse;
        const traffic = startTraffic(`${target.ordersUrl}/orders`, before.access_token);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await target.rotateKeys();
        const after = await refreshTokens(target.identityUrl, WEB_APP, before.refresh_token as string);
        state.aliceRotated = after;
        await expectOrdersReadable(target, after.access_token, 'the new token');
        await placeOrder(target, after.access_token, 'alice');
        const billing = await target.runBillingWorker();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const counts = await traffic.stop();
        const oldKid = jwsHeader(before.access_token).kid;
        const newKid = jwsHeader(after.access_token).kid;
        expectThat(oldKid !== newKid, 'the refreshed token is signed with the same key: no rotation happened');
        expectThat(
          billing.code === 0 && billing.result?.ok === true,
          `billing-worker after rotation exited ${billing.code}`,
        );
        expectThat(
          counts.failed === 0 && counts.ok > 0,
          `${counts.failed} of ${counts.ok + counts.failed} requests failed: ${counts.failures.slice(0, 3).join('; ')}`,
        );
        await expectOrdersReadable(target, before.access_token, 'the pre-rotation token');
        return `kid ${short(oldKid)} -> ${short(newKid)}; ${counts.ok} requests during rotation, 0 failed; billing-worker ok after the rotation`;
      },
    },
    ...x509.whileIdentityUp,
  ];
  list.push(...webSsoSteps({ screenshotDir }));
  if (stopIdentity) {
    list.push({
      title: 'identity stopped: orders-api and inventory-service still accept valid tokens (offline)',
      async run(target, state) {
        await target.stopIdentity();
        const down = await fetch(`${target.identityUrl}/.well-known/jwks.json`).then(
          () => false,
          () => true,
        );
        expectThat(down, 'the identity service still answers');
        await expectOrdersReadable(target, state.alice?.access_token as string, 'the pre-rotation token');
        await expectOrdersReadable(target, state.admin?.access_token as string, "admin-portal's token");
        await placeOrder(target, state.aliceRotated?.access_token as string, 'alice');
        return 'identity unreachable; GET /orders 200 with old and SSO tokens; POST /orders 201 (relayed, verified offline by both services)';
      },
    });
    list.push(...x509.afterIdentityStopped);
  }
  return list;
}

/** The titles of the steps, in order (for documentation and tests). */
export function scenarioStepTitles(stopIdentity = true): string[] {
  return steps(stopIdentity).map((step) => step.title);
}

/**
 * The SSO scenario against a running system: one login, relayed calls, SSO for a second client, a machine client,
 * an audience check, a key rotation under traffic and, optionally, the identity service going away. Steps run in
 * order; after a failure the remaining steps are reported as skipped (failed).
 */
export async function runScenario(target: ScenarioTarget, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const state: ScenarioState = { jar: new CookieJar() };
  const results: StepResult[] = [];
  let failed = false;
  for (const [offset, step] of steps(options.stopIdentity ?? true, options.screenshotDir).entries()) {
    let result: StepResult;
    if (failed) {
      result = {
        index: offset + 1,
        title: step.title,
        ok: false,
        outcome: 'skipped: an earlier step failed',
      };
    } else {
      try {
        result = {
          index: offset + 1,
          title: step.title,
          ok: true,
          outcome: await step.run(target, state),
        };
      } catch (error) {
        failed = true;
        result = {
          index: offset + 1,
          title: step.title,
          ok: false,
          outcome: (error as Error).message,
        };
      }
    }
    results.push(result);
    options.onStep?.(result);
  }
  return { ok: !failed, steps: results };
}
