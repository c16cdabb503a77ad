import type { JwtAuthModuleOptions } from '@nest-sso/jwt-auth';
import { authOptionsFromEnv, ProblemList, readPort, type Env } from '@nest-sso/sso-config';

/** Settings of inventory-service. */
export interface InventoryConfig {
  /** HTTP port on 127.0.0.1 (health endpoint); 0 picks a free one. */
  readonly httpPort: number;
  /** TCP microservice port on 127.0.0.1; 0 picks a free one. */
  readonly tcpPort: number;
  /** JwtAuthModule options (AUTH_* variables). */
  readonly auth: JwtAuthModuleOptions;
  /** Initial units per SKU. */
  readonly stock: Readonly<Record<string, number>>;
}

/** The stock a fresh inventory-service starts with. */
export const INITIAL_STOCK: Readonly<Record<string, number>> = Object.freeze({
  'SKU-1': 100,
  'SKU-2': 25,
  'SKU-3': 0,
});

/**
 * Reads `PORT` (HTTP, default 0), `INVENTORY_PORT` (TCP, default 0) and the `AUTH_*` variables.
 * @throws ServiceConfigError listing every problem.
 */
export function inventoryConfigFromEnv(env: Env): InventoryConfig {
  const problems = new ProblemList();
  const httpPort = readPort(env, 'PORT', problems, 0) as number;
  const tcpPort = readPort(env, 'INVENTORY_PORT', problems, 0) as number;
  const auth = problems.collect(() => authOptionsFromEnv(env, 'inventory-service'));
  problems.throwIfAny();
  return {
    httpPort,
    tcpPort,
    auth: auth as JwtAuthModuleOptions,
    stock: INITIAL_STOCK,
  };
}
