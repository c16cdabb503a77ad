import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The workspace root (this file is packages/jwt-auth-consumer/src/support/). */
export const WORKSPACE = resolve(__dirname, '../../../..');
/** The built package, as `nx build jwt-auth` leaves it. */
export const DIST = resolve(WORKSPACE, 'dist/packages/jwt-auth');
/** The workspace's TypeScript compiler: the one the package is built with. */
export const TSC = require.resolve('typescript/bin/tsc', { paths: [WORKSPACE] });

/** The built package's manifest; fails with the command to run when the package is not built. */
export function builtManifest(): {
  name: string;
  version: string;
  license: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
} {
  const path = resolve(DIST, 'package.json');
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npx nx build jwt-auth\` first (nx test does)`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

export interface RunResult {
  readonly code: number | null;
  /** stdout alone. */
  readonly stdout: string;
  /** stdout and stderr together, as they came. */
  readonly output: string;
}

// npm run by `npm test` passes its own npm_* settings down; a consumer project must not inherit the workspace's.
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

/** Run a command to completion, collecting stdout and stderr together. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, output }));
  });
}

/** Run a command that must succeed and return its stdout; the error carries all its output. */
export async function runOk(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.output}`);
  return result.stdout;
}

/**
 * `npm install` from the npm cache alone when it holds everything (the workspace install put the tarballs there), else
 * with the registry as the fallback for what is missing (package documents npm did not keep).
 */
export async function npmInstall(
  cwd: string,
  specs: readonly string[],
  flags: readonly string[] = [],
): Promise<string> {
  const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...flags, ...specs];
  const offline = await run('npm', [...args, '--offline'], cwd);
  if (offline.code === 0) return 'offline';
  await runOk('npm', [...args, '--prefer-offline'], cwd);
  return 'prefer-offline';
}

/** Type-check (and emit, unless the config says noEmit) a consumer project with the workspace's tsc. */
export function tsc(cwd: string, config: string): Promise<RunResult> {
  return run(process.execPath, [TSC, '-p', config, '--pretty', 'false'], cwd);
}

/** A running server process and the URL it printed. */
export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Start `node <script>` and wait for its `listening <url>` line. */
export function startServer(script: string, cwd: string, env: Record<string, string>): Promise<RunningServer> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(process.execPath, [script], {
      cwd,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const fail = (reason: string) => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${reason}:\n${output}`));
    };
    const timer = setTimeout(() => fail('did not print its URL within 30 s'), 30_000);
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[1].replace(/\/$/, '').replace('[::1]', '127.0.0.1'), stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!/listening http/.test(output)) fail(`exited with ${code}`);
    });
  });
}
