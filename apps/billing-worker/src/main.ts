import { describeStartupFailure } from '@nest-sso/sso-config';
import { createBillingWorker, type BillingWorker } from './app/billing-worker';
import { billingConfigFromEnv } from './app/billing.config';
import type { BillingRunResult } from './app/billing.job';

const NAME = 'billing-worker';

function describeResult(result: BillingRunResult): string[] {
  const { stock, reservation } = result;
  return [
    `${NAME}: inventory:read    -> ${stock.sku} available=${stock.available} reserved=${stock.reserved}`,
    `${NAME}: inventory:reserve -> reservation ${reservation.reservationId}: ${reservation.quantity} x ${reservation.sku}, remaining ${reservation.remaining}, by ${reservation.reservedBy}`,
  ];
}

function describeFailure(error: unknown): {
  status?: unknown;
  code?: unknown;
  message: string;
} {
  const { status, code, error: oauthError } = (error ?? {}) as Record<string, unknown>;
  return {
    status,
    code: code ?? oauthError,
    message: error instanceof Error ? error.message : String(error),
  };
}

async function runOnce(worker: BillingWorker, json: boolean): Promise<number> {
  try {
    const result = await worker.runOnce();
    console.log(json ? JSON.stringify({ ok: true, ...result }) : describeResult(result).join('\n'));
    return 0;
  } catch (error) {
    const failure = describeFailure(error);
    if (json) console.log(JSON.stringify({ ok: false, error: failure }));
    else console.error(`${NAME}: run failed: ${failure.message}`);
    return 1;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const once = argv.includes('--once');
  const json = argv.includes('--json');
  let worker: BillingWorker;
  let config;
  try {
    config = billingConfigFromEnv(process.env);
    worker = await createBillingWorker(config, once ? ['warn', 'error'] : ['log', 'warn', 'error']);
  } catch (error) {
    console.error(describeStartupFailure(NAME, error));
    process.exit(1);
  }
  if (once) {
    const code = await runOnce(worker, json);
    await worker.close();
    process.exit(code);
  }
  console.log(`${NAME} running every ${config.intervalSeconds}s (token endpoint ${worker.tokenEndpoint})`);
  const tick = () => void runOnce(worker, json);
  tick();
  const timer = setInterval(tick, config.intervalSeconds * 1000);
  const stop = () => {
    clearInterval(timer);
    worker.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main(process.argv.slice(2));
