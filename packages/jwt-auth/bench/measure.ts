/** One benchmark row, as printed by `npm run bench -- --json`. */
export interface BenchResult {
  readonly case: string;
  readonly ops_per_sec: number;
  readonly baseline_ops_per_sec: number;
  readonly ratio: number;
  /** Core rows only: ops/s over the no-checks floor's ops/s for the same algorithm, measured in the same rounds. */
  readonly floor_ratio?: number;
  /** Lowest and highest ratio of one round (subject and baseline measured back to back): the spread. */
  readonly ratio_range?: readonly [number, number];
  /** 99th percentile latency in ms (HTTP rows). */
  readonly p99_ms?: number;
  readonly baseline_p99_ms?: number;
  /**
   * Server CPU time per request in µs (median of the slices) and the ratio it implies (the median of the rounds'
   * baseline / subject).
   */
  readonly cpu_us?: number;
  readonly baseline_cpu_us?: number;
  readonly cpu_ratio?: number;
  /** Peak resident set size of the server process in MB (VmHWM). */
  readonly peak_rss_mb?: number;
  readonly baseline_peak_rss_mb?: number;
  /** HTTP rows: the load generator (wrk or autocannon) and its CPU time over wall time, subject and baseline. */
  readonly load_generator?: string;
  readonly load_cpu?: readonly [number, number];
  /** Free-form figures of rows that are not a throughput comparison (memory rows). */
  readonly figures?: Readonly<Record<string, number | string>>;
}

/** Run `fn` repeatedly for about `ms` milliseconds and return operations per second. */
export async function opsPerSecond(fn: () => unknown, batch: number, ms: number): Promise<number> {
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Measure a subject against its baseline in alternating rounds (so drift and GC hit both alike) and keep the
 * median of each.
 */
export async function compare(
  name: string,
  subject: () => unknown,
  baseline: () => unknown,
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<BenchResult> {
  const rounds = options.rounds ?? 7;
  const roundMs = options.roundMs ?? 300;
  const batch = options.batch ?? 50;
  await opsPerSecond(subject, batch, 200);
  await opsPerSecond(baseline, batch, 200);
  const s: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    b.push(await opsPerSecond(baseline, batch, roundMs));
    s.push(await opsPerSecond(subject, batch, roundMs));
  }
  const ops = median(s);
  const base = median(b);
  return {
    case: name,
    ops_per_sec: Math.round(ops),
    baseline_ops_per_sec: Math.round(base),
    ratio: Number((ops / base).toFixed(3)),
  };
}

/**
 * Measure several subjects against one baseline in round-robin rounds (baseline, then each subject in turn), so a
 * ratio between two subjects compares figures taken under the same conditions. Returns one row per subject.
 */
export async function compareAll(
  subjects: readonly (readonly [name: string, fn: () => unknown])[],
  baseline: () => unknown,
  options: { rounds?: number; roundMs?: number; batch?: number } = {},
): Promise<BenchResult[]> {
  const rounds = options.rounds ?? 7;
  const roundMs = options.roundMs ?? 300;
  const batch = options.batch ?? 50;
  await opsPerSecond(baseline, batch, 200);
  for (const [, fn] of subjects) await opsPerSecond(fn, batch, 200);
  const b: number[] = [];
  const s: number[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    b.push(await opsPerSecond(baseline, batch, roundMs));
    for (let k = 0; k < subjects.length; k++) s[k].push(await opsPerSecond(subjects[k][1], batch, roundMs));
  }
  const base = median(b);
  return subjects.map(([name], k) => {
    const ops = median(s[k]);
    return {
      case: name,
      ops_per_sec: Math.round(ops),
      baseline_ops_per_sec: Math.round(base),
      ratio: Number((ops / base).toFixed(3)),
    };
  });
}
