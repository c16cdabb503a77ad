import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestIssuer } from '../src/testing/index';
import type { BenchResult } from './measure';
import { forgedToken, refusedTokens } from './refused-tokens';
import {
  alternate,
  compareSlices,
  startLoadGenerator,
  startServer,
  type BenchServer,
  type Slice,
  type SliceFigures,
} from './processes';

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
const POOL = 2000;
const CONNECTIONS = 50;
const ORDERS_API = join(process.cwd(), 'dist', 'apps', 'orders-api', 'main.js');

/** How long and how often the service benchmark measures. */
export interface ServiceBenchOptions {
  /** Alternating rounds per cell. @default 5 */
  readonly rounds?: number;
  /** Seconds per slice. @default 2 */
  readonly seconds?: number;
}

/**
 * What a user of the package sees: the built orders-api (`npx nx build orders-api`, Fastify, JWKS from a loopback
 * TestIssuer) against the "node limit" (node:http + crypto.verify on a cached KeyObject per request, same JSON) and a
 * bare Nest app on Fastify, for RS256, ES256 and EdDSA with one repeated token and with a pool of 2,000 distinct
 * tokens; servers on one core, the load generator (wrk, else autocannon; 50 connections) on the other, in
 * alternating slices. Then the cost of refusals against orders-api's public route. Each cell starts fresh servers, so peak RSS is the cell's own.
 */
export async function benchService(options: ServiceBenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(ORDERS_API)) throw new Error(`${ORDERS_API} is missing: run npx nx build orders-api first`);
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 2;
  const issuer = await TestIssuer.create({ algorithms: [...ALGORITHMS], audience: 'orders-api' });
  await issuer.start();
  const load = startLoadGenerator();
  const results: BenchResult[] = [];
  const bare = await startServer(join(__dirname, 'bare-nest-server.js'), ['fastify']);
  const startOrders = () =>
    startServer(ORDERS_API, [], {
      AUTH_ISSUER: issuer.issuerUrl,
      AUTH_JWKS_URI: issuer.jwksUri,
      AUTH_AUDIENCE: 'orders-api',
      AUTH_ALGORITHMS: ALGORITHMS.join(','),
      AUTH_ALLOW_INSECURE_HTTP: 'true',
      // GET /orders never calls inventory-service; the TCP client connects lazily, so nothing listens here.
      INVENTORY_PORT: '9',
      PORT: '0',
      NODE_ENV: 'production',
    });
  const request = (server: BenchServer, path: string, tokens: readonly string[], status = 200) => ({
    url: `${server.url}${path}`,
    tokens,
    seconds,
    connections: CONNECTIONS,
    status,
  });
  try {
    for (const alg of ALGORITHMS) {
      const jwk = JSON.stringify(issuer.publicKey(alg).export({ format: 'jwk' }));
      for (const pool of [1, POOL]) {
        const tokens = Array.from({ length: pool }, (_, i) =>
          issuer.sign({ sub: `user-${i}`, scope: 'orders:read' }, { alg, expiresIn: 3600 }),
        );
        const label = `${alg} ${pool === 1 ? 'one token' : `pool of ${pool}`}`;
        const orders = await startOrders();
        const limit = await startServer(join(__dirname, 'node-limit-server.js'), [alg, jwk]);
        try {
          const slices: Slice[] = [
            { name: 'limit', pid: limit.pid, request: request(limit, '/orders', tokens) },
            { name: 'orders', pid: orders.pid, request: request(orders, '/orders', tokens) },
            { name: 'bare', pid: bare.pid, request: request(bare, '/orders', tokens) },
          ];
          const figures = await alternate(load, slices, rounds);
          const get = (name: string) => figures.get(name) as SliceFigures;
          const rss = { subject: orders.peakRssMb(), baseline: limit.peakRssMb() };
          results.push(
            compareSlices(`service orders-api GET /orders ${label} / node limit`, get('orders'), get('limit'), rss),
          );
          results.push(compareSlices(`service bare Nest (Fastify) ${label} / node limit`, get('bare'), get('limit')));
        } finally {
          await orders.stop();
          await limit.stop();
        }
      }
    }
    // Refusals against the same app's public route, all in one alternating run on one orders-api.
    const orders = await startOrders();
    try {
      const valid = issuer.sign({ scope: 'orders:read' }, { alg: 'ES256', expiresIn: 3600 });
      const refusals: Record<string, string> = {
        ...(await refusedTokens(issuer, 'orders-api')),
        'forged signature': forgedToken(issuer),
      };
      const slices: Slice[] = [
        { name: 'public', pid: orders.pid, request: request(orders, '/health', [valid]) },
        ...Object.entries(refusals).map(([name, token]) => ({
          name,
          pid: orders.pid,
          request: request(orders, '/orders', [token], 401),
        })),
      ];
      const figures = await alternate(load, slices, rounds);
      const base = figures.get('public') as SliceFigures;
      for (const name of Object.keys(refusals))
        results.push(
          compareSlices(`service orders-api 401 ${name} / GET /health`, figures.get(name) as SliceFigures, base),
        );
    } finally {
      await orders.stop();
    }
  } finally {
    await bare.stop();
    await load.stop();
    await issuer.stop();
  }
  return results;
}
