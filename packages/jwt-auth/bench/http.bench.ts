import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { TestIssuer } from '../src/testing/index';
import type { BenchResult } from './measure';
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
  /** Alternating rounds. @default 5 */
  readonly rounds?: number;
  /** Seconds per slice. @default 2 */
  readonly seconds?: number;
}

/**
 * The module's own per-request cost, like with like: a bare Nest app against the same app with JwtAuthModule (global
 * guard, exception filter) and with TokenRelayModule, on Fastify and on Express; guarded routes with a cached token
 * against the public route; every refusal against the public route; the verified-token cache off. One server core,
 * the load generator (wrk, else autocannon) with 50 connections on the other, alternating slices.
 */
export async function benchHttp(options: HttpBenchOptions = {}): Promise<BenchResult[]> {
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 2;
  const issuer = await TestIssuer.create({ algorithms: ['RS256', 'ES256', 'EdDSA'], audience: 'bench-api' });
  await issuer.start();
  const stranger = await TestIssuer.create({ algorithms: ['ES256'], audience: 'bench-api', issuer: 'https://other' });
  const sign = (alg: 'RS256' | 'ES256' | 'EdDSA') => issuer.sign({ scope: 'orders:read' }, { alg, expiresIn: 3600 });
  const tokens = { RS256: sign('RS256'), ES256: sign('ES256'), EdDSA: sign('EdDSA') };
  const [head, payload] = tokens.ES256.split('.');
  const refusals: Record<string, string> = {
    'malformed token': `${head}.${payload}!.AAAA`,
    'unknown issuer': stranger.sign({ scope: 'orders:read' }, { alg: 'ES256', expiresIn: 3600 }),
    'unknown kid': issuer.sign({ scope: 'orders:read' }, { alg: 'ES256', kid: 'no-such-kid', expiresIn: 3600 }),
  };
  const forged = issuer.sign(
    { scope: 'orders:read' },
    { alg: 'ES256', expiresIn: 3600, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
  );
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
      ];
      const [bare, app, relay, uncached] = servers;
      try {
        const slice = (name: string, server: BenchServer, path: string, token: string, status = 200): Slice => ({
          name,
          pid: server.pid,
          request: { url: `${server.url}${path}`, tokens: [token], seconds, connections: CONNECTIONS, status },
        });
        const slices: Slice[] = [
          slice('bare', bare, '/orders', tokens.ES256),
          slice('public', app, '/open', tokens.ES256),
          slice('guarded ES256', app, '/guarded', tokens.ES256),
          slice('relay public', relay, '/open', tokens.ES256),
          slice('relay guarded', relay, '/guarded', tokens.ES256),
        ];
        if (platform === 'fastify') {
          slices.push(slice('guarded RS256', app, '/guarded', tokens.RS256));
          slices.push(slice('guarded EdDSA', app, '/guarded', tokens.EdDSA));
          for (const alg of ['RS256', 'ES256', 'EdDSA'] as const)
            slices.push(slice(`uncached ${alg}`, uncached, '/guarded', tokens[alg]));
          for (const [name, token] of Object.entries(refusals)) slices.push(slice(name, app, '/guarded', token, 401));
          slices.push(slice('forged', app, '/guarded', forged, 401));
          slices.push(slice('bare refused', bare, '/refused', tokens.ES256, 401));
        }
        const f = await alternate(load, slices, rounds);
        const get = (name: string) => f.get(name) as SliceFigures;
        const p = platform === 'fastify' ? 'Fastify' : 'Express';
        results.push(compareSlices(`http ${p} public route / bare Nest`, get('public'), get('bare')));
        results.push(
          compareSlices(`http ${p} guarded ES256 cache hit / public route`, get('guarded ES256'), get('public')),
        );
        results.push(
          compareSlices(`http ${p} +TokenRelayModule public route / bare Nest`, get('relay public'), get('bare')),
        );
        results.push(
          compareSlices(
            `http ${p} +TokenRelayModule guarded ES256 / public`,
            get('relay guarded'),
            get('relay public'),
          ),
        );
        if (platform === 'fastify') {
          for (const alg of ['RS256', 'EdDSA'])
            results.push(
              compareSlices(`http ${p} guarded ${alg} cache hit / public route`, get(`guarded ${alg}`), get('public')),
            );
          for (const alg of ['RS256', 'ES256', 'EdDSA'])
            results.push(
              compareSlices(`http ${p} guarded ${alg} no token cache / public`, get(`uncached ${alg}`), get('public')),
            );
          for (const name of Object.keys(refusals))
            results.push(compareSlices(`http ${p} 401 ${name} / public route`, get(name), get('public')));
          results.push(
            compareSlices(
              `http ${p} bare Nest, guard throwing a prebuilt 401 / bare Nest route`,
              get('bare refused'),
              get('bare'),
            ),
          );
          // A forged signature costs one signature check: about what a valid token costs with the cache off.
          results.push(
            compareSlices(`http ${p} 401 forged ES256 / guarded ES256 no cache`, get('forged'), get('uncached ES256')),
          );
        }
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
