import { spawn, type ChildProcess } from 'node:child_process';

/** How to start one service of the sample system. */
export interface ChildServiceOptions {
  /** Name used in logs. */
  readonly name: string;
  /** The built `main.js`. */
  readonly script: string;
  /** Variables set on top of a cleaned copy of this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Command-line arguments. */
  readonly args?: readonly string[];
  /** The stdout line that says the service is ready; its groups are handed back. */
  readonly ready: RegExp;
  /** Give up waiting after this many ms. @default 20000 */
  readonly timeoutMs?: number;
  /** Receives every output line (for `--verbose`). */
  readonly onLine?: (name: string, line: string) => void;
}

// Variables a parent shell may carry that must not leak into a service's configuration.
const CONFIG_PREFIXES = ['AUTH_', 'INVENTORY_', 'BILLING_', 'OIDC_'];
const CONFIG_NAMES = new Set([
  'PORT',
  'ISSUER',
  'DATA_DIR',
  'SEED_FILE',
  'ROTATION_PERIOD_SECONDS',
  'ACCESS_TOKEN_TTL_SECONDS',
  'ADMIN_TOKEN',
  'WEB_PORTAL_URL',
  'ADMIN_CONSOLE_URL',
  'PUBLIC_URL',
  'ORDERS_API_URL',
  'REFRESH_MARGIN_SECONDS',
  'SESSION_TTL_SECONDS',
]);

/** A copy of `process.env` without any service configuration, plus `env`. */
export function childEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || CONFIG_NAMES.has(name) || CONFIG_PREFIXES.some((prefix) => name.startsWith(prefix)))
      continue;
    clean[name] = value;
  }
  return { ...clean, NO_COLOR: '1', ...env };
}

/** A service running as a child process. */
export class ChildService {
  private readonly lines: string[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    onLine: ((name: string, line: string) => void) | undefined,
  ) {
    const collect = (stream: NodeJS.ReadableStream | null) => {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) {
          this.lines.push(line);
          if (this.lines.length > 200) this.lines.shift();
          onLine?.(name, line);
        }
      });
    };
    collect(child.stdout);
    collect(child.stderr);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Start a service and wait for its ready line; rejects with its last output when it exits or times out first. */
  static async start(options: ChildServiceOptions): Promise<{ service: ChildService; match: RegExpMatchArray }> {
    const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ChildService(options.name, child, options.onLine);
    const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(service.failure(`did not report ready within ${options.timeoutMs ?? 20000} ms`)),
        options.timeoutMs ?? 20000,
      );
      const onData = () => {
        for (const line of service.lines) {
          const found = options.ready.exec(line);
          if (found) {
            clearTimeout(timer);
            resolve(found);
            return;
          }
        }
      };
      child.stdout?.on('data', () => setImmediate(onData));
      void service.exited.then((code) => {
        clearTimeout(timer);
        reject(service.failure(`exited with code ${code} before it was ready`));
      });
    }).catch(async (error: unknown) => {
      await service.stop();
      throw error;
    });
    return { service, match };
  }

  /** Run a program to completion (e.g. `billing-worker --once`); resolves with its exit code and output lines. */
  static async run(options: Omit<ChildServiceOptions, 'ready'>): Promise<{ code: number | null; lines: string[] }> {
    const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ChildService(options.name, child, options.onLine);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
    const code = await service.exited;
    clearTimeout(timer);
    // Let the stream handlers flush what arrived with the exit.
    await new Promise((resolve) => setImmediate(resolve));
    return { code, lines: [...service.lines] };
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last output lines (at most 200). */
  output(): string[] {
    return [...this.lines];
  }

  /** True while the process runs. */
  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private failure(reason: string): Error {
    const tail = this.lines
      .slice(-15)
      .map((line) => `    ${line}`)
      .join('\n');
    return new Error(`${this.name} ${reason}${tail ? `; last output:\n${tail}` : ''}`);
  }
}
