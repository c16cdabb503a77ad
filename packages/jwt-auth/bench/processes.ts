// Processes of the HTTP and service benchmarks: servers pinned to one core, the load generator to another, and
// measurement in alternating slices so that host drift hits every server alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadRequest, LoadResult } from './load-generator';
import type { BenchResult } from './measure';
import { WRK, WrkLoad } from './wrk-load';

/** Cores for the server and the load generator, when the host has two and `taskset` exists. */
const PINNED = availableParallelism() >= 2 && existsSync('/usr/bin/taskset');
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

function pinned(cpu: string, args: readonly string[]): [string, string[]] {
  return PINNED ? ['/usr/bin/taskset', ['-c', cpu, ...args]] : [args[0], args.slice(1)];
}

/** A server child process. */
export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  /** Peak resident set size so far, in MB (VmHWM of /proc/<pid>/status). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** How a server process is started beyond its script and arguments. */
export interface ServerLaunch {
  /** Flags for node itself (`--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** A command that runs node (`valgrind --tool=callgrind`). */
  readonly launcher?: readonly string[];
  /** The core to pin it to. @default SERVER_CPU */
  readonly cpu?: string;
}

/**
 * Start `[launcher] node [nodeFlags] script ...args` pinned to the server core and wait for its `listening on <url>`
 * line.
 */
export async function startServer(
  script: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  launch: ServerLaunch = {},
): Promise<BenchServer> {
  const { nodeFlags = [], launcher = [], cpu = SERVER_CPU } = launch;
  const [command, argv] = pinned(cpu, [...launcher, process.execPath, ...nodeFlags, script, ...args]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
  });
  return {
    url,
    pid: child.pid as number,
    peakRssMb: () => peakRssMb(child.pid as number),
    stop: () => stopChild(child),
  };
}

/**
 * CPU time the process has used so far, in ns, summed over its threads (/proc/<pid>/task/<tid>/schedstat). On a
 * shared host a server's CPU time per request is steadier than its request rate, which also counts waiting.
 */
export function cpuNanos(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return total;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 102.4) / 10;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** What sends the load of a slice, on the load core; one slice at a time. */
export interface LoadGenerator {
  /** `wrk` or `autocannon`, printed with the rows. */
  readonly name: string;
  /** Run one slice; `unexpected` counts the answers of another status than the slice expects and failed sockets. */
  run(request: LoadRequest): Promise<LoadResult>;
  stop(): Promise<void>;
}

/**
 * wrk when installed (`apt-get install wrk`), else autocannon; `--load=autocannon` asks for autocannon. At the rates of
 * a cheap route autocannon needs its whole core (its `load_cpu` near 1), so the client sets the rate, not the server.
 */
export function startLoadGenerator(kind = process.argv.find((a) => a.startsWith('--load='))?.slice(7)): LoadGenerator {
  if (kind !== undefined && kind !== 'wrk' && kind !== 'autocannon')
    throw new Error(`--load=${kind}: wrk or autocannon`);
  if (kind === 'wrk' && !existsSync(WRK)) throw new Error(`--load=wrk: ${WRK} is missing (apt-get install wrk)`);
  if (kind !== 'autocannon' && existsSync(WRK)) return new WrkLoad((args) => pinned(LOAD_CPU, args));
  return AutocannonLoad.start();
}

/** The autocannon process on the load core. */
class AutocannonLoad implements LoadGenerator {
  readonly name = 'autocannon';
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static start(): AutocannonLoad {
    const [command, argv] = pinned(LOAD_CPU, [process.execPath, join(__dirname, 'load-generator.js')]);
    return new AutocannonLoad(spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  run(request: LoadRequest): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (message: { result?: LoadResult; error?: string }) => {
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message.result as LoadResult);
      });
      this.child.send(request);
    });
  }

  stop(): Promise<void> {
    this.child.disconnect();
    return stopChild(this.child);
  }
}

/** Run a slice and reject unless every answer had the slice's status. */
async function runChecked(load: LoadGenerator, request: LoadRequest): Promise<LoadResult> {
  const result = await load.run(request);
  if (result.unexpected > 0) throw new Error(`${request.url}: ${result.unexpected} answers not ${request.status}`);
  return result;
}

/**
 * Send each token of a slice once, a few at a time over kept-alive connections, and check each answer's exact status:
 * the warm-up of a pool (every token verified once before measuring), the check that wrk's status classes are the
 * status the slice expects, and the counted batches of the instruction bench (one token repeated).
 */
export async function sendEach(request: Pick<LoadRequest, 'url' | 'tokens' | 'status'>): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const tokens = request.tokens.length === 0 ? [undefined] : request.tokens;
  const once = (token: string | undefined) =>
    new Promise<void>((resolve, reject) => {
      const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
      get(request.url, { agent, headers }, (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === request.status
            ? resolve()
            : reject(new Error(`${request.url}: answered ${res.statusCode}, not ${request.status}`)),
        );
      }).once('error', reject);
    });
  // Eight senders take the next token as each answer arrives, so the connections stay busy.
  let next = 0;
  const sender = async () => {
    while (next < tokens.length) await once(tokens[next++]);
  };
  try {
    await Promise.all(Array.from({ length: 8 }, sender));
  } finally {
    agent.destroy();
  }
}

/** One thing to measure in a slice. */
export interface Slice {
  readonly name: string;
  readonly request: LoadRequest;
  /** The server process, whose CPU time per request is measured. */
  readonly pid?: number;
}

/** Figures of one slice name over all rounds. */
export interface SliceFigures {
  /** The load generator that measured them. */
  readonly load: string;
  readonly rps: number[];
  readonly p99: number[];
  /** Server CPU time per request in µs (when the slice names its server); NaN for a slice without answers. */
  readonly cpuUs: number[];
  /** The load generator's CPU time over wall time, per slice. */
  readonly loadCpu: number[];
}

/**
 * Run every slice once per round, in turn, after a warm-up: each token of a slice sent once (so a pool of tokens is
 * measured in its steady state, every token verified before), then one short slice each, each round starting at a
 * different slice (two slices: AB, BA, AB...). Figures per slice name, in round order, so that the figures of two
 * slices at the same index were measured in the same round.
 */
export async function alternate(
  load: LoadGenerator,
  slices: readonly Slice[],
  rounds: number,
  warmUpSeconds = 1,
): Promise<Map<string, SliceFigures>> {
  for (const slice of slices) {
    await sendEach(slice.request);
    await runChecked(load, { ...slice.request, seconds: warmUpSeconds });
  }
  const figures = new Map<string, SliceFigures>(
    slices.map((s) => [s.name, { load: load.name, rps: [], p99: [], cpuUs: [], loadCpu: [] }]),
  );
  for (let r = 0; r < rounds; r++) {
    // Each round starts at a different slice: the host drifts within a round too, and a fixed order would favour the
    // slices that run next to their baseline. With more slices than rounds the starts are spread evenly.
    const start = rounds >= slices.length ? r % slices.length : Math.floor((r * slices.length) / rounds);
    for (let k = 0; k < slices.length; k++) {
      const slice = slices[(start + k) % slices.length];
      const before = slice.pid === undefined ? 0 : cpuNanos(slice.pid);
      const result = await runChecked(load, slice.request);
      const f = figures.get(slice.name) as SliceFigures;
      f.rps.push(result.rps);
      f.p99.push(result.p99);
      f.loadCpu.push(result.loadCpu);
      // NaN for a slice that got no answer: the figures stay aligned with the rounds.
      if (slice.pid !== undefined) f.cpuUs.push((cpuNanos(slice.pid) - before) / 1000 / result.requests);
    }
  }
  return figures;
}

/** The median of some figures. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Whether the servers are pinned (two cores and taskset); printed with the rows. */
export const isPinned = PINNED;

/**
 * A row comparing two slices measured in the same rounds: median request rates, their ratio (the median of the
 * rounds' ratios: each round's pair of slices ran next to each other, so host drift between rounds cancels) with its
 * spread, p99 latency, server CPU time per request (and the ratio it implies), and peak RSS when given.
 */
export function compareSlices(
  name: string,
  subject: SliceFigures,
  baseline: SliceFigures,
  rss?: { subject: number; baseline: number },
): BenchResult {
  // A slice starved to nothing by the host says nothing about the servers: it is left out of the spread.
  const ratios = subject.rps.map((rps, i) => rps / baseline.rps[i]).filter((r) => Number.isFinite(r) && r > 0);
  const cpuRatios = subject.cpuUs.map((us, i) => baseline.cpuUs[i] / us).filter((r) => Number.isFinite(r) && r > 0);
  const subjectCpu = subject.cpuUs.filter(Number.isFinite);
  const baselineCpu = baseline.cpuUs.filter(Number.isFinite);
  const cpu =
    subjectCpu.length > 0 && baselineCpu.length > 0
      ? { subject: median(subjectCpu), baseline: median(baselineCpu) }
      : undefined;
  return {
    case: name,
    ops_per_sec: Math.round(median(subject.rps)),
    baseline_ops_per_sec: Math.round(median(baseline.rps)),
    ratio: ratios.length === 0 ? 0 : Number(median(ratios).toFixed(3)),
    ratio_range:
      ratios.length === 0 ? [0, 0] : [Number(Math.min(...ratios).toFixed(3)), Number(Math.max(...ratios).toFixed(3))],
    p99_ms: median(subject.p99),
    baseline_p99_ms: median(baseline.p99),
    ...(cpu
      ? {
          cpu_us: Number(cpu.subject.toFixed(1)),
          baseline_cpu_us: Number(cpu.baseline.toFixed(1)),
          cpu_ratio: cpuRatios.length === 0 ? 0 : Number(median(cpuRatios).toFixed(3)),
        }
      : {}),
    ...(rss ? { peak_rss_mb: rss.subject, baseline_peak_rss_mb: rss.baseline } : {}),
    load_generator: subject.load,
    load_cpu: [Number(median(subject.loadCpu).toFixed(2)), Number(median(baseline.loadCpu).toFixed(2))],
  };
}
