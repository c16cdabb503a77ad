import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestIssuer } from '../src/testing/index';
import type { BenchResult } from './measure';
import { LOAD_CPU, median, SERVER_CPU, sendEach, startServer, type BenchServer } from './processes';
import { refusedTokens } from './refused-tokens';

const VALGRIND = '/usr/bin/valgrind';
const CALLGRIND_CONTROL = '/usr/bin/callgrind_control';

/** How long the instruction counts run. */
export interface InstructionsBenchOptions {
  /** Requests per route before counting, sent in interleaved chunks. @default 6000 */
  readonly warmUp?: number;
  /** Counted rounds; each sends every route its requests, in alternating order. @default 7 */
  readonly rounds?: number;
  /** Requests per route and round. @default 1000 */
  readonly requests?: number;
}

interface Route {
  readonly name: string;
  readonly path: string;
  readonly token: string;
  readonly status: number;
}

/** A server under callgrind: counts are zeroed and dumped around each batch of requests. */
class CountedServer {
  private dumps = 0;

  private constructor(
    private readonly server: BenchServer,
    private readonly dir: string,
  ) {}

  static async start(script: string, args: readonly string[], cpu: string): Promise<CountedServer> {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-auth-callgrind-'));
    const launcher = [VALGRIND, '-q', '--tool=callgrind', `--callgrind-out-file=${join(dir, 'callgrind.out')}`];
    // --single-threaded: V8 compiles and collects on the main thread, so code is optimized after the same requests in
    // every run (valgrind runs one thread at a time, which delays background compiles by however it schedules them).
    return new CountedServer(
      await startServer(script, args, {}, { launcher, cpu, nodeFlags: ['--single-threaded'] }),
      dir,
    );
  }

  /** Instructions the process executed (every thread) per request over `count` requests of `route`. */
  async perRequest(route: Route, count: number): Promise<number> {
    execFileSync(CALLGRIND_CONTROL, ['--zero', String(this.server.pid)], { stdio: 'ignore' });
    await this.send(route, count);
    execFileSync(CALLGRIND_CONTROL, ['--dump', String(this.server.pid)], { stdio: 'ignore' });
    this.dumps += 1;
    const dump = readFileSync(join(this.dir, `callgrind.out.${this.dumps}`), 'utf8');
    const totals = /^(?:totals|summary): (\d+)/m.exec(dump);
    if (totals === null) throw new Error(`callgrind dump ${this.dumps} has no totals`);
    return Number(totals[1]) / count;
  }

  /** `count` requests of `route`, every answer with the route's status. */
  send(route: Route, count: number): Promise<void> {
    const tokens = new Array<string>(count).fill(route.token);
    return sendEach({ url: `${this.server.url}${route.path}`, tokens, status: route.status });
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Warm every route up in interleaved chunks, then count each route per request in alternating rounds. */
async function countRoutes(
  server: CountedServer,
  routes: readonly Route[],
  options: Required<InstructionsBenchOptions>,
): Promise<Map<string, number[]>> {
  const chunk = 500;
  for (let sent = 0; sent < options.warmUp; sent += chunk)
    for (const route of routes) await server.send(route, Math.min(chunk, options.warmUp - sent));
  const counts = new Map<string, number[]>(routes.map((route) => [route.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? routes : [...routes].reverse();
    for (const route of order)
      (counts.get(route.name) as number[]).push(await server.perRequest(route, options.requests));
  }
  return counts;
}

// A row like the rate rows: the ratio is baseline instructions over subject instructions (above 1: the subject costs
// less), the median of the rounds' ratios, each round's two counts taken back to back.
function row(name: string, subject: readonly number[], baseline: readonly number[]): BenchResult {
  const ratios = subject.map((count, i) => baseline[i] / count);
  return {
    case: `instructions ${name}`,
    ops_per_sec: 0,
    baseline_ops_per_sec: 0,
    ratio: Number(median(ratios).toFixed(3)),
    ratio_range: [Number(Math.min(...ratios).toFixed(3)), Number(Math.max(...ratios).toFixed(3))],
    figures: {
      instructions_per_request: Math.round(median(subject)),
      baseline_instructions_per_request: Math.round(median(baseline)),
      rounds: subject
        .map((count, i) => `${Math.round(count / 100) / 10}k/${Math.round(baseline[i] / 100) / 10}k`)
        .join(' '),
    },
  };
}

/**
 * User-space instructions per request of Fastify servers under valgrind's callgrind: a bare Nest app, and the app of
 * the HTTP benchmark with JwtAuthModule (its public route, a cached ES256 token on its guarded route, and the three
 * refusals). An instruction count does not move with the host's load, which moves request rates by 10-20% on this VM.
 * - Counts fall for the first tens of thousands of requests (code still being optimized), hence the long warm-up; a
 *   round that caught a full garbage collection reads far higher than the others, hence the median over rounds.
 * - A count leaves out the kernel's part of a request (a third or more of a small request's CPU time here, about the
 *   same for every route), so a ratio of counts is further from 1 than the ratio of rates: where a subject costs more
 *   instructions, its rate ratio is at least its count ratio.
 */
export async function benchInstructions(options: InstructionsBenchOptions = {}): Promise<BenchResult[]> {
  if (!existsSync(VALGRIND) || !existsSync(CALLGRIND_CONTROL)) {
    console.error(`--only=instructions needs valgrind (${VALGRIND}, apt-get install valgrind): skipped`);
    return [];
  }
  const settings: Required<InstructionsBenchOptions> = {
    warmUp: options.warmUp ?? 6000,
    rounds: options.rounds ?? 7,
    requests: options.requests ?? 1000,
  };
  const issuer = await TestIssuer.create({ algorithms: ['ES256'], audience: 'bench-api' });
  await issuer.start();
  const token = issuer.sign({ scope: 'orders:read' }, { alg: 'ES256', expiresIn: 3600 });
  const route = (name: string, path: string, presented: string, status = 200): Route => ({
    name,
    path,
    token: presented,
    status,
  });
  const appRoutes = [
    route('public', '/open', token),
    route('guarded ES256 cache hit', '/guarded', token),
    ...Object.entries(await refusedTokens(issuer, 'bench-api')).map(([name, refused]) =>
      route(name, '/guarded', refused, 401),
    ),
  ];
  const bareRoutes = [route('bare', '/orders', token), route('bare guard returning true', '/guarded', token)];
  // The two servers count at once, one per core.
  const app = await CountedServer.start(
    join(__dirname, 'http-server.js'),
    ['fastify', issuer.issuerUrl, issuer.jwksUri, '33554432'],
    SERVER_CPU,
  );
  const bare = await CountedServer.start(join(__dirname, 'bare-nest-server.js'), ['fastify'], LOAD_CPU);
  try {
    const [appCounts, bareCounts] = await Promise.all([
      countRoutes(app, appRoutes, settings),
      countRoutes(bare, bareRoutes, settings),
    ]);
    const of = (counts: Map<string, number[]>, name: string) => counts.get(name) as number[];
    const publicRoute = of(appCounts, 'public');
    return [
      // Two processes: their JIT may differ a little, which no count within one process shows.
      row('Fastify public route / bare Nest route', publicRoute, of(bareCounts, 'bare')),
      row(
        'Fastify bare Nest, guard returning true / bare Nest route',
        of(bareCounts, 'bare guard returning true'),
        of(bareCounts, 'bare'),
      ),
      ...appRoutes.slice(1).map((r) => row(`Fastify ${r.name} / public route`, of(appCounts, r.name), publicRoute)),
    ];
  } finally {
    await app.stop();
    await bare.stop();
    await issuer.stop();
  }
}
