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

const CONNECTIONS = 50;

/** How long and how often the HTTP benchmark measures. */
export interface HttpBenchOptions {
  /** Alternating rounds per row. @default 8 */
  readonly rounds?: number;
  /** Seconds per slice. @default 1 */
  readonly seconds?: number;
}

/**
 * The module's own per-request cost, like with like: a bare Nest app against the same app with JwtAuthModule (global
 * guard, exception filter) and with TokenRelayModule, on Fastify and on Express; guarded routes with a cached token
 * against the public route; every refusal against the public route; the verified-token cache off; and Nest's own floors
 * (a guard that returns true, a guard that throws a prebuilt 401); an A/A row of two identical apps, the error of
 * rows that compare two processes. One server core, the load generator (wrk, else autocannon) with 50 connections on
 * the other; each row alternates its two slices (AB, BA, ...) for its own rounds.
 */
export async function benchHttp(options: HttpBenchOptions = {}): Promise<BenchResult[]> {
  const rounds = options.rounds ?? 8;
  const seconds = options.seconds ?? 1;
  const issuer = await TestIssuer.create({ algorithms: ['RS256', 'ES256', 'EdDSA'], audience: 'bench-api' });
  await issuer.start();
  const sign = (alg: 'RS256' | 'ES256' | 'EdDSA') => issuer.sign({ scope: 'orders:read' }, { alg, expiresIn: 3600 });
  const tokens = { RS256: sign('RS256'), ES256: sign('ES256'), EdDSA: sign('EdDSA') };
  const refusals = await refusedTokens(issuer, 'bench-api');
  const forged = forgedToken(issuer);
  const load = startLoadGenerator();
  const results: BenchResult[] = [];
  try {
    for (const platform of ['fastify', 'express'] as const) {
      const servers = [
        await startServer(join(__dirname, 'bare-nest-server.js'), [platform]),
        await startServer(join(__dirname, 'http-server.js'), [platform, issuer.issuerUrl, issuer.jwksUri, '33554432']),
        await startServer(join(__dirname, 'http-server.js'), [
          platform,
          issuer.issuerUrl,
          issuer.jwksUri,
          '33554432',
          'relay',
        ]),
        await startServer(join(__dirname, 'http-server.js'), [platform, issuer.issuerUrl, issuer.jwksUri, '0']),
        await startServer(join(__dirname, 'http-server.js'), [platform, issuer.issuerUrl, issuer.jwksUri, '33554432']),
      ];
      const [bare, app, relay, uncached, secondApp] = servers;
      try {
        const slice = (name: string, server: BenchServer, path: string, token: string, status = 200): Slice => ({
          name,
          pid: server.pid,
          request: { url: `${server.url}${path}`, tokens: [token], seconds, connections: CONNECTIONS, status },
        });
        // Each row is its own alternation of its two slices, so the pair's slices run seconds apart.
        const compare = async (name: string, subject: Slice, baseline: Slice) => {
          const f = await alternate(load, [subject, baseline], rounds);
          results.push(compareSlices(name, f.get(subject.name) as SliceFigures, f.get(baseline.name) as SliceFigures));
        };
        const p = platform === 'fastify' ? 'Fastify' : 'Express';
        const bareRoute = slice('bare', bare, '/orders', tokens.ES256);
        const publicRoute = slice('public', app, '/open', tokens.ES256);
        const relayPublic = slice('relay public', relay, '/open', tokens.ES256);
        await compare(`http ${p} public route / bare Nest`, publicRoute, bareRoute);
        await compare(
          `http ${p} guarded ES256 cache hit / public route`,
          slice('guarded ES256', app, '/guarded', tokens.ES256),
          publicRoute,
        );
        await compare(`http ${p} +TokenRelayModule public route / bare Nest`, relayPublic, bareRoute);
        await compare(
          `http ${p} +TokenRelayModule guarded ES256 / public`,
          slice('relay guarded', relay, '/guarded', tokens.ES256),
          relayPublic,
        );
        // Two processes of the same app differ in rate for as long as they live (JIT, memory layout): this row shows by
        // how much in this run, the error of every row that compares two processes.
        await compare(
          `http ${p} A/A: public route of a second identical app / public route`,
          slice('second app public', secondApp, '/open', tokens.ES256),
          publicRoute,
        );
        if (platform !== 'fastify') continue;
        await compare(
          `http ${p} bare Nest, guard returning true / bare Nest route`,
          slice('bare guarded', bare, '/guarded', tokens.ES256),
          bareRoute,
        );
        for (const alg of ['RS256', 'EdDSA'] as const)
          await compare(
            `http ${p} guarded ${alg} cache hit / public route`,
            slice(`guarded ${alg}`, app, '/guarded', tokens[alg]),
            publicRoute,
          );
        for (const alg of ['RS256', 'ES256', 'EdDSA'] as const)
          await compare(
            `http ${p} guarded ${alg} no token cache / public`,
            slice(`uncached ${alg}`, uncached, '/guarded', tokens[alg]),
            publicRoute,
          );
        for (const [name, token] of Object.entries(refusals))
          await compare(`http ${p} 401 ${name} / public route`, slice(name, app, '/guarded', token, 401), publicRoute);
        await compare(
          `http ${p} bare Nest, guard throwing a prebuilt 401 / bare Nest route`,
          slice('bare refused', bare, '/refused', tokens.ES256, 401),
          bareRoute,
        );
        // A forged signature costs one signature check: about what a valid token costs with the cache off.
        await compare(
          `http ${p} 401 forged ES256 / guarded ES256 no cache`,
          slice('forged', app, '/guarded', forged, 401),
          slice('uncached ES256', uncached, '/guarded', tokens.ES256),
        );
      } finally {
        for (const server of servers) await server.stop();
      }
    }
  } finally {
    await load.stop();
    await issuer.stop();
  }
  return results;
}
