import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { BenchResult } from './measure';

async function startServer(alg: string, cacheSize: number): Promise<{ port: number; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(__dirname, 'http-server.js'), alg, String(cacheSize)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const { port, token } = JSON.parse(line) as { port: number; token: string };
  return { port, token, stop: () => child.kill('SIGTERM') };
}

async function rps(url: string, headers: Record<string, string>, seconds: number): Promise<number> {
  const result = await autocannon({ url, headers, connections: 16, pipelining: 1, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

/**
 * Requests per second of a Fastify endpoint behind the global JwtAuthGuard against the same endpoint marked
 * `@Public()`, in alternating rounds; the server runs in its own process so the load generator does not share its core.
 */
export async function benchHttp(rounds = 5, seconds = 3): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const cases = [
    { alg: 'RS256', cacheSize: 1000, name: 'fastify guarded RS256' },
    { alg: 'ES256', cacheSize: 1000, name: 'fastify guarded ES256' },
    // The same with the verified-token cache off: every request pays for a full signature check.
    { alg: 'RS256', cacheSize: 0, name: 'fastify guarded RS256 (no token cache)' },
    { alg: 'ES256', cacheSize: 0, name: 'fastify guarded ES256 (no token cache)' },
  ];
  for (const { alg, cacheSize, name } of cases) {
    const server = await startServer(alg, cacheSize);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const auth = { authorization: `Bearer ${server.token}` };
      await rps(`${base}/guarded`, auth, 1);
      // Both endpoints get the same request, token included, so only the guard's work differs.
      await rps(`${base}/open`, auth, 1);
      const guarded: number[] = [];
      const open: number[] = [];
      for (let r = 0; r < rounds; r++) {
        open.push(await rps(`${base}/open`, auth, seconds));
        guarded.push(await rps(`${base}/guarded`, auth, seconds));
      }
      const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
      const g = median(guarded);
      const o = median(open);
      results.push({
        case: name,
        ops_per_sec: Math.round(g),
        baseline_ops_per_sec: Math.round(o),
        ratio: Number((g / o).toFixed(3)),
      });
    } finally {
      server.stop();
    }
  }
  return results;
}
