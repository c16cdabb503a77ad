// The load generator of the HTTP and service benchmarks when wrk is installed (Debian package `wrk`): a C client that
// sends a cheap request for a fraction of the CPU autocannon needs, so the server on the other core is the bottleneck.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadRequest, LoadResult } from './load-generator';

export const WRK = '/usr/bin/wrk';

/** One line of JSON that the script's `done` hook prints after wrk's own report. */
interface WrkSummary {
  readonly requests: number;
  readonly duration_us: number;
  readonly p99_us: number;
  /** Answers with a status above 399 (wrk's own count). */
  readonly status_errors: number;
  readonly socket_errors: number;
}

/**
 * The Lua script of one slice. One token: a static Authorization header, so wrk sends one prebuilt request. Several:
 * every request prebuilt once in `init`, and `request` hands them out in turn.
 */
function script(tokens: readonly string[]): string {
  const quoted = tokens.map((t) => JSON.stringify(`Bearer ${t}`));
  const send =
    tokens.length === 1
      ? `wrk.headers["Authorization"] = ${quoted[0]}\n`
      : tokens.length > 1
        ? [
            `local values = { ${quoted.join(', ')} }`,
            'local prebuilt = {}',
            'local next = 0',
            'function init(args)',
            '  for k = 1, #values do prebuilt[k] = wrk.format(nil, nil, { ["Authorization"] = values[k] }) end',
            'end',
            'function request()',
            '  next = next % #prebuilt + 1',
            '  return prebuilt[next]',
            'end',
            '',
          ].join('\n')
        : '';
  return `${send}function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"p99_us":%d,"status_errors":%d,"socket_errors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
`;
}

/**
 * wrk on the load core, one process per slice (one thread, the slice's connections). wrk counts answers by status
 * class only (above 399 or not): the exact status of every token is checked before measuring (`sendEach`).
 */
export class WrkLoad {
  readonly name = 'wrk';
  private readonly dir = mkdtempSync(join(tmpdir(), 'jwt-auth-bench-'));

  constructor(private readonly pin: (args: readonly string[]) => [string, string[]]) {}

  async run(request: LoadRequest): Promise<LoadResult> {
    const file = join(this.dir, 'slice.lua');
    writeFileSync(file, script(request.tokens));
    const wrk = `${WRK} -t1 -c${request.connections} -d${request.seconds}s --timeout 5s -s ${file} ${request.url}`;
    // bash's `times` prints the CPU time of the shell's children: wrk's own, to tell whether the client kept up.
    const [command, argv] = this.pin(['/bin/bash', '-c', `${wrk} && times`]);
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}: ${out}`))));
    });
    const line = output.split('\n').find((l) => l.startsWith('{"requests"'));
    if (line === undefined) throw new Error(`wrk printed no summary: ${output}`);
    const summary = JSON.parse(line) as WrkSummary;
    const seconds = summary.duration_us / 1e6;
    const failed = request.status < 400 ? summary.status_errors : summary.requests - summary.status_errors;
    return {
      rps: summary.requests / seconds,
      p99: summary.p99_us / 1000,
      unexpected: failed + summary.socket_errors,
      requests: summary.requests,
      loadCpu: childCpuSeconds(output) / seconds,
    };
  }

  async stop(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The children's user + system time from the second line of bash's `times` (`0m1.234s 0m0.567s`). */
function childCpuSeconds(output: string): number {
  const lines = output.trimEnd().split('\n');
  const match = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1]);
  if (!match) return NaN;
  return Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4]);
}
