import {
  clientCredentialsFromEnv,
  isLoopbackHostname,
  LOOPBACK_HOST,
  ProblemList,
  readPort,
  readString,
  type ClientCredentialsConfig,
  type Env,
} from '@nest-sso/sso-config';

/** Settings of billing-worker. */
export interface BillingConfig {
  /** How the worker gets its own access token. */
  readonly credentials: ClientCredentialsConfig;
  /** Where inventory-service's TCP microservice listens. */
  readonly inventory: { readonly host: string; readonly port: number };
  /** SKU the billing run reserves. */
  readonly sku: string;
  /** Units reserved per run. */
  readonly quantity: number;
  /** Seconds between runs when not started with `--once`. */
  readonly intervalSeconds: number;
}

function readInteger(
  env: Env,
  name: string,
  problems: ProblemList,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    problems.add(`${name}: must be an integer from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

/**
 * Reads `AUTH_ISSUER`, `AUTH_TOKEN_ENDPOINT` (optional), `AUTH_CLIENT_ID`, `AUTH_CLIENT_SECRET`,
 * `AUTH_ALLOW_INSECURE_HTTP`, `INVENTORY_HOST` (default 127.0.0.1), `INVENTORY_PORT` (required),
 * `BILLING_SKU` (default SKU-2), `BILLING_QUANTITY` (default 1) and `BILLING_INTERVAL_SECONDS` (default 30).
 * @throws ServiceConfigError listing every problem.
 */
export function billingConfigFromEnv(env: Env): BillingConfig {
  const problems = new ProblemList();
  const credentials = problems.collect(() => clientCredentialsFromEnv(env));
  const port = readPort(env, 'INVENTORY_PORT', problems);
  if (port === 0) problems.add('INVENTORY_PORT: must be the port inventory-service listens on, not 0');
  const host = readString(env, 'INVENTORY_HOST') ?? LOOPBACK_HOST;
  // The TCP transport is plaintext and carries the worker's bearer token: it must not leave the machine.
  if (!isLoopbackHostname(host))
    problems.add(
      `INVENTORY_HOST: must be a loopback host (127.0.0.1, localhost or [::1]), the TCP transport is unencrypted (got "${host}")`,
    );
  const sku = readString(env, 'BILLING_SKU') ?? 'SKU-2';
  const quantity = readInteger(env, 'BILLING_QUANTITY', problems, 1, 1, 1000);
  const intervalSeconds = readInteger(env, 'BILLING_INTERVAL_SECONDS', problems, 30, 1, 86400);
  problems.throwIfAny();
  return {
    credentials: credentials as ClientCredentialsConfig,
    inventory: { host, port: port as number },
    sku,
    quantity,
    intervalSeconds,
  };
}
