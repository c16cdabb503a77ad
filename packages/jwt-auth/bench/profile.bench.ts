import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestIssuer } from '../src/testing/index';
import type { BenchResult } from './measure';
import { refusedTokens } from './refused-tokens';
import { cpuNanos, sendEach, startLoadGenerator, startServer, type LoadGenerator } from './processes';

const CONNECTIONS = 50;
const SECONDS = 10;

/** The parts of a V8 `.cpuprofile` this reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  /** Microseconds on the monotonic clock (`process.hrtime`). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

type Group = 'jwt-auth' | 'nest' | 'fastify' | 'node' | 'other' | 'gc' | 'v8';

// Who a JavaScript frame belongs to, by its script's URL.
function groupOf(url: string): Group {
  if (url.includes('/packages/jwt-auth/src/')) return 'jwt-auth';
  // The innermost node_modules: @nestjs/platform-fastify may carry a Fastify of its own.
  const dependency = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (dependency?.startsWith('@nestjs/')) return 'nest';
  if (dependency && /^(fastify|@fastify\/|find-my-way|avvio|light-my-request|toad-cache)/.test(dependency))
    return 'fastify';
  if (url.startsWith('node:') || url === '') return 'node';
  return 'other';
}

/**
 * Shares of the samples taken between `from` and `to` (µs, monotonic clock) by owner. A builtin (a RegExp, `writev`)
 * counts for the nearest JavaScript frame that called it, so a regular expression the package runs is the package's.
 */
function shares(profile: CpuProfile, from: number, to: number): { share: Record<Group, number>; busyMicros: number } {
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owner = new Map<number, Group | undefined>();
  const ownerOf = (id: number): Group | undefined => {
    if (owner.has(id)) return owner.get(id);
    const { functionName, url } = (byId.get(id) as CpuProfile['nodes'][number]).callFrame;
    let group: Group | undefined;
    if (functionName === '(idle)') group = undefined;
    else if (functionName === '(garbage collector)') group = 'gc';
    else if (url !== '') group = groupOf(url);
    else group = parent.has(id) ? ownerOf(parent.get(id) as number) : 'v8';
    owner.set(id, group);
    return group;
  };
  const counts: Record<Group, number> = { 'jwt-auth': 0, nest: 0, fastify: 0, node: 0, other: 0, gc: 0, v8: 0 };
  let time = profile.startTime;
  let total = 0;
  let busyMicros = 0;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i];
    if (time < from || time > to) return;
    const group = ownerOf(id);
    if (group === undefined) return;
    counts[group] += 1;
    total += 1;
    // A sample stands for the time since the one before it.
    busyMicros += profile.timeDeltas[i];
  });
  if (total === 0) throw new Error('the profile has no samples in the measured window');
  for (const group of Object.keys(counts) as Group[]) counts[group] = Number((counts[group] / total).toFixed(4));
  return { share: counts, busyMicros };
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

async function profiled(
  load: LoadGenerator,
  name: string,
  script: string,
  args: readonly string[],
  path: string,
  token: string,
  status = 200,
): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'jwt-auth-profile-'));
  try {
    const server = await startServer(
      join(__dirname, script),
      args,
      {},
      {
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
      },
    );
    const request = { url: `${server.url}${path}`, tokens: [token], connections: CONNECTIONS, status };
    let rps: number;
    let requests: number;
    let cpuUs: number;
    let from: number;
    let to: number;
    try {
      await sendEach(request);
      await load.run({ ...request, seconds: 2 });
      const before = cpuNanos(server.pid);
      from = nowMicros();
      const result = await load.run({ ...request, seconds: SECONDS });
      to = nowMicros();
      if (result.unexpected > 0) throw new Error(`${request.url}: ${result.unexpected} answers not ${status}`);
      rps = result.rps;
      requests = result.requests;
      cpuUs = (cpuNanos(server.pid) - before) / 1000 / result.requests;
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`${script} wrote no CPU profile`);
    const { share, busyMicros } = shares(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, from, to);
    // The JavaScript thread's busy time per request, from the samples: cpu_us also counts the profiler's own thread.
    const mainUs = busyMicros / requests;
    return {
      case: `profile ${name}: share of server CPU outside @nest-sso/jwt-auth`,
      ops_per_sec: Math.round(rps),
      baseline_ops_per_sec: 0,
      ratio: Number((1 - share['jwt-auth']).toFixed(3)),
      cpu_us: Number(cpuUs.toFixed(1)),
      figures: {
        main_thread_us_per_request: Number(mainUs.toFixed(1)),
        package_us_per_request: Number((share['jwt-auth'] * mainUs).toFixed(2)),
        ...share,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where a Fastify server's CPU goes, from V8's sampling profiler during 10 s of load (wrk, 50 connections, server on
 * one core): shares by owner (this package, Nest, Fastify, Node and its builtins, GC) for a bare Nest route, the same
 * app's `@Public()` route with JwtAuthModule and a guarded route with a cached ES256 token. Shares are measured within
 * one process and one window, so they hold when the host's speed moves, which request rates compared across processes
 * do not.
 */
export async function benchProfile(): Promise<BenchResult[]> {
  const issuer = await TestIssuer.create({ algorithms: ['ES256'], audience: 'bench-api' });
  await issuer.start();
  const token = issuer.sign({ scope: 'orders:read' }, { alg: 'ES256', expiresIn: 3600 });
  const refusals = await refusedTokens(issuer, 'bench-api');
  const app = ['fastify', issuer.issuerUrl, issuer.jwksUri, '33554432'];
  const load = startLoadGenerator();
  try {
    const results = [
      await profiled(load, 'Fastify bare Nest route', 'bare-nest-server.js', ['fastify'], '/orders', token),
      await profiled(load, 'Fastify public route', 'http-server.js', app, '/open', token),
      await profiled(load, 'Fastify guarded ES256 cache hit', 'http-server.js', app, '/guarded', token),
    ];
    for (const [name, refused] of Object.entries(refusals))
      results.push(await profiled(load, `Fastify 401 ${name}`, 'http-server.js', app, '/guarded', refused, 401));
    return results;
  } finally {
    await load.stop();
    await issuer.stop();
  }
}
