import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FUZZ_TARGETS, runFuzzTarget, type FuzzTargetReport } from './verifier.fuzz';

// `npm run fuzz -- [--seconds 600] [--seed N] [--target NAME] [--path P] [--slice-seconds 30] [--hang-seconds 60]`
//
// Fuzzes every target round-robin, in time slices with seeds seed, seed+1, ...; a worker thread does the work and this
// thread is its watchdog, because a synchronous hang cannot be interrupted from inside its own thread. Prints
// iterations, time and every failure with the target, seed and path that replay it (never the input itself).

interface CliOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly targets: readonly string[];
  readonly path?: string;
  readonly sliceSeconds: number;
  readonly hangSeconds: number;
}

type WorkerMessage = { readonly type: 'slice'; readonly report: FuzzTargetReport };

// Shared with the worker: [target index, slice seed, runs started in the current slice, slices started].
const TARGET = 0;
const SEED = 1;
const RUN = 2;
const SLICE = 3;

function parseArgs(argv: readonly string[]): CliOptions {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
    return inline !== undefined ? inline.slice(name.length + 3) : index >= 0 ? argv[index + 1] : undefined;
  };
  const number = (name: string, fallback: number): number => {
    const raw = value(name);
    const parsed = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number`);
    return parsed;
  };
  const target = value('target');
  const known = FUZZ_TARGETS.map((t) => t.name);
  if (target !== undefined && !known.includes(target)) throw new Error(`--target must be one of ${known.join(', ')}`);
  const path = value('path');
  if (path !== undefined && target === undefined)
    throw new Error('--path replays one input of one target: give --target too');
  return {
    seconds: number('seconds', 60),
    seed: Math.trunc(number('seed', Math.floor(Math.random() * 0x7fffffff))),
    targets: target !== undefined ? [target] : known,
    path,
    sliceSeconds: number('slice-seconds', 30),
    hangSeconds: number('hang-seconds', 60),
  };
}

async function work(options: CliOptions, shared: Int32Array): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the fuzz worker needs a parent thread');
  const targets = FUZZ_TARGETS.filter((t) => options.targets.includes(t.name));
  const deadline = Date.now() + options.seconds * 1000;
  const probe = () => void Atomics.add(shared, RUN, 1);
  for (let slice = 0; options.path !== undefined ? slice < 1 : Date.now() < deadline; slice++) {
    const target = targets[slice % targets.length];
    const seed = (options.seed + Math.floor(slice / targets.length)) | 0;
    Atomics.store(shared, TARGET, FUZZ_TARGETS.indexOf(target));
    Atomics.store(shared, SEED, seed);
    Atomics.store(shared, RUN, 0);
    Atomics.add(shared, SLICE, 1);
    // Short budgets still visit every target: a slice is at most an equal share of the whole run.
    const timeLimitMs = Math.max(
      1000,
      Math.min(options.sliceSeconds * 1000, (options.seconds * 1000) / targets.length, deadline - Date.now()),
    );
    const report = await runFuzzTarget(
      target,
      options.path !== undefined ? { seed, path: options.path, probe } : { seed, timeLimitMs, probe },
    );
    port.postMessage({ type: 'slice', report } satisfies WorkerMessage);
  }
}

function supervise(options: CliOptions): Promise<number> {
  const shared = new Int32Array(new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(__filename, { workerData: { options, shared } });
  const started = Date.now();
  const reports: FuzzTargetReport[] = [];
  console.log(
    `fuzz: seed ${options.seed}, ${options.seconds} s, targets ${options.targets.join(', ')}${options.path ? `, replaying path ${options.path}` : ''}`,
  );
  return new Promise((resolve) => {
    let last = { slice: -1, run: -1, at: Date.now() };
    let hung: string | undefined;
    const watchdog = setInterval(() => {
      const now = { slice: Atomics.load(shared, SLICE), run: Atomics.load(shared, RUN), at: Date.now() };
      if (now.slice !== last.slice || now.run !== last.run) {
        last = now;
        return;
      }
      if (now.at - last.at < options.hangSeconds * 1000) return;
      const target = FUZZ_TARGETS[Atomics.load(shared, TARGET)]?.name ?? '?';
      const seed = Atomics.load(shared, SEED);
      // The run counter counts predicate calls; before any shrinking, call n is fast-check path n - 1.
      hung = `HANG: ${target} made no progress for ${options.hangSeconds} s at run ${now.run}; replay with --target ${target} --seed ${seed} --path ${now.run - 1}`;
      clearInterval(watchdog);
      void worker.terminate();
    }, 1000);
    worker.on('message', (message: WorkerMessage) => {
      const { report } = message;
      reports.push(report);
      const status = report.failure ? `FAILED at path ${report.failure.path}: ${report.failure.error}` : 'ok';
      console.log(
        `  ${report.target.padEnd(26)} seed ${String(report.seed).padStart(11)} ${String(report.runs).padStart(9)} runs ${String(report.ms).padStart(7)} ms  slowest call ${report.slowestCallMs} ms  ${status}`,
      );
    });
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      const failures = reports.filter((r) => r.failure);
      const runs = reports.reduce((sum, r) => sum + r.runs, 0);
      console.log(
        `\nfuzz summary: ${runs} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${options.seed})`,
      );
      for (const name of options.targets) {
        const mine = reports.filter((r) => r.target === name);
        const outcomes: Record<string, number> = {};
        for (const r of mine)
          for (const [outcome, n] of Object.entries(r.outcomes)) outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
        console.log(
          `  ${name.padEnd(26)} ${String(mine.reduce((s, r) => s + r.runs, 0)).padStart(10)} runs  ${(mine.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(1).padStart(7)} s  slowest call ${Math.max(0, ...mine.map((r) => r.slowestCallMs))} ms`,
        );
        console.log(`  ${''.padEnd(26)} outcomes ${JSON.stringify(outcomes)}`);
      }
      for (const f of failures)
        console.log(
          `FAILURE ${f.target}: ${f.failure?.error}\n  replay: npm run fuzz -- --target ${f.target} --seed ${f.seed} --path ${f.failure?.path}`,
        );
      if (hung) console.log(hung);
      console.log(
        failures.length === 0 && !hung && code === 0 ? 'no failures' : `${failures.length + (hung ? 1 : 0)} failure(s)`,
      );
      resolve(failures.length === 0 && !hung && code === 0 ? 0 : 1);
    };
    worker.on('error', (error) => {
      console.error(`fuzz worker crashed: ${error instanceof Error ? error.message : String(error)}`);
      finish(1);
    });
    worker.on('exit', (code) => finish(hung ? 1 : code));
  });
}

if (isMainThread) {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  supervise(options).then((code) => process.exit(code));
} else {
  const { options, shared } = workerData as { options: CliOptions; shared: Int32Array };
  // No process.exit here: the thread ends when its work is done, after its last message is delivered.
  work(options, shared).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
