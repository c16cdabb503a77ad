import type { JwtAuthModuleOptions } from '@nest-sso/jwt-auth';
import {
  authOptionsFromEnv,
  isLoopbackHostname,
  LOOPBACK_HOST,
  ProblemList,
  readPort,
  readString,
  type Env,
} from '@nest-sso/sso-config';

/** Settings of orders-api. */
export interface OrdersConfig {
  /** HTTP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** JwtAuthModule options (AUTH_* variables). */
  readonly auth: JwtAuthModuleOptions;
  /** Where inventory-service's TCP microservice listens; unset without `INVENTORY_PORT` (POST /orders answers 503). */
  readonly inventory: { readonly host: string; readonly port: number } | undefined;
}

/**
 * Reads `PORT` (default 0), `INVENTORY_HOST` (default 127.0.0.1), `INVENTORY_PORT` (optional: without it orders-api
 * runs, and placing an order answers 503) and the `AUTH_*` variables.
 * @throws ServiceConfigError listing every problem.
 */
export function ordersConfigFromEnv(env: Env): OrdersConfig {
  const problems = new ProblemList();
  const port = readPort(env, 'PORT', problems, 0) as number;
  const inventoryConfigured = readString(env, 'INVENTORY_PORT') !== undefined;
  const inventoryPort = inventoryConfigured ? readPort(env, 'INVENTORY_PORT', problems) : undefined;
  const inventoryHost = readString(env, 'INVENTORY_HOST') ?? LOOPBACK_HOST;
  // The TCP transport is plaintext and carries users' bearer tokens: it must not leave the machine.
  if (!isLoopbackHostname(inventoryHost))
    problems.add(
      `INVENTORY_HOST: must be a loopback host (127.0.0.1, localhost or [::1]), the TCP transport is unencrypted (got "${inventoryHost}")`,
    );
  if (inventoryPort === 0) problems.add('INVENTORY_PORT: must be the port inventory-service listens on, not 0');
  const auth = problems.collect(() => authOptionsFromEnv(env, 'orders-api'));
  problems.throwIfAny();
  return {
    port,
    auth: auth as JwtAuthModuleOptions,
    inventory: inventoryPort === undefined ? undefined : { host: inventoryHost, port: inventoryPort },
  };
}
