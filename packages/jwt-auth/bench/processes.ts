// Processes of the HTTP and service benchmarks: servers pinned to one core, the load generator to another, and
// measurement in alternating slices so that host drift hits every server alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LoadRequest, LoadResult } from './load-generator';
import type { BenchResult } from './measure';

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

/** Start `node script ...args` on the server core and wait for its `listening on <url>` line. */
export async function startServer(
  script: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<BenchServer> {
  const [command, argv] = pinned(SERVER_CPU, [process.execPath, script, ...args]);
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

/** The autocannon process on the load core; one slice at a time. */
export class LoadGenerator {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  static start(): LoadGenerator {
    const [command, argv] = pinned(LOAD_CPU, [process.execPath, join(__dirname, 'load-generator.js')]);
    return new LoadGenerator(spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  run(request: LoadRequest): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.child.once('message', (message: { result?: LoadResult; error?: string }) => {
        if (message.error !== undefined) reject(new Error(message.error));
        else if ((message.result as LoadResult).unexpected > 0)
          reject(
            new Error(`${request.url}: ${(message.result as LoadResult).unexpected} answers not ${request.status}`),
          );
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

/** One thing to measure in a slice. */
export interface Slice {
  readonly name: string;
  readonly request: LoadRequest;
  /** The server process, whose CPU time per request is measured. */
  readonly pid?: number;
}

/** Figures of one slice name over all rounds. */
export interface SliceFigures {
  readonly rps: number[];
  readonly p99: number[];
  /** Server CPU time per request in µs (when the slice names its server). */
  readonly cpuUs: number[];
}

/**
 * Run every slice once per round, in turn, after a warm-up: each token of a slice sent once (so a pool of tokens is
 * measured in its steady state, every token verified before), then one short slice each, each round starting at a
 * different slice. Figures per slice name.
 */
export async function alternate(
  load: LoadGenerator,
  slices: readonly Slice[],
  rounds: number,
  warmUpSeconds = 1,
): Promise<Map<string, SliceFigures>> {
  for (const slice of slices) {
    if (slice.request.tokens.length > 1) await load.run({ ...slice.request, amount: slice.request.tokens.length });
    await load.run({ ...slice.request, seconds: warmUpSeconds });
  }
  const figures = new Map<string, SliceFigures>(slices.map((s) => [s.name, { rps: [], p99: [], cpuUs: [] }]));
  for (let r = 0; r < rounds; r++) {
    // Each round starts at a different slice, spread evenly over the rounds: the host drifts within a round too, and a
    // fixed order would favour the slices that run next to their baseline.
    const start = Math.floor((r * slices.length) / rounds);
    for (let k = 0; k < slices.length; k++) {
      const slice = slices[(start + k) % slices.length];
      const before = slice.pid === undefined ? 0 : cpuNanos(slice.pid);
      const result = await load.run(slice.request);
      const f = figures.get(slice.name) as SliceFigures;
      f.rps.push(result.rps);
      f.p99.push(result.p99);
      if (slice.pid !== undefined && result.requests > 0)
        f.cpuUs.push((cpuNanos(slice.pid) - before) / 1000 / result.requests);
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
 * A row comparing two slices measured in the same rounds: median request rates and their ratio with its spread
 * over rounds, p99 latency, server CPU time per request (and the ratio it implies), and peak RSS when given.
 */
export function compareSlices(
  name: string,
  subject: SliceFigures,
  baseline: SliceFigures,
  rss?: { subject: number; baseline: number },
): BenchResult {
  // A slice starved to nothing by the host says nothing about the servers: it is left out of the spread.
  const ratios = subject.rps.map((rps, i) => rps / baseline.rps[i]).filter((r) => Number.isFinite(r) && r > 0);
  const s = median(subject.rps);
  const b = median(baseline.rps);
  const cpu =
    subject.cpuUs.length > 0 && baseline.cpuUs.length > 0
      ? { subject: median(subject.cpuUs), baseline: median(baseline.cpuUs) }
      : undefined;
  return {
    case: name,
    ops_per_sec: Math.round(s),
    baseline_ops_per_sec: Math.round(b),
    ratio: Number((s / b).toFixed(3)),
    ratio_range:
      ratios.length === 0 ? [0, 0] : [Number(Math.min(...ratios).toFixed(3)), Number(Math.max(...ratios).toFixed(3))],
    p99_ms: median(subject.p99),
    baseline_p99_ms: median(baseline.p99),
    ...(cpu
      ? {
          cpu_us: Number(cpu.subject.toFixed(1)),
          baseline_cpu_us: Number(cpu.baseline.toFixed(1)),
          cpu_ratio: Number((cpu.baseline / cpu.subject).toFixed(3)),
        }
      : {}),
    ...(rss ? { peak_rss_mb: rss.subject, baseline_peak_rss_mb: rss.baseline } : {}),
  };
}
