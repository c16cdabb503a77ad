// `npm test`: every project's tests through Nx, streamed as they run, then one overall line summing every Jest
// project's "Tests:" line. Exits non-zero when Nx does, when any test failed, or when no test ran. Extra arguments go
// to Nx (`npm test -- --projects=jwt-auth`).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const nx = createRequire(import.meta.url).resolve('nx/bin/nx.js');
const args = ['run-many', '-t', 'test', '--skip-nx-cache', '--output-style=stream', ...process.argv.slice(2)];
const totals = { passed: 0, failed: 0, skipped: 0, todo: 0 };
let reports = 0;
let pending = '';

function count(line) {
  // ANSI colours stripped; Nx prefixes streamed lines with the project name.
  const match = /Tests:\s+(.*\d+ total)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
  if (!match) return;
  reports++;
  for (const [, n, kind] of match[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) totals[kind] += Number(n);
}

function scan(chunk, final = false) {
  const lines = (pending + chunk).split('\n');
  pending = final ? '' : lines.pop();
  lines.forEach(count);
}

const child = spawn(process.execPath, [nx, ...args], { stdio: ['inherit', 'pipe', 'pipe'] });
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  scan(chunk.toString());
});
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  scan(chunk.toString());
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => {
  scan('', true);
  const extra = ['skipped', 'todo'].filter((kind) => totals[kind] > 0).map((kind) => `, ${totals[kind]} ${kind}`);
  // The last line stays exactly "N passed, N failed[, N skipped]": CI reads it as the plain closing line.
  console.log(`\n${reports} Jest runs`);
  console.log(`${totals.passed} passed, ${totals.failed} failed${extra.join('')}`);
  if (code !== 0) console.log(`nx exited with ${code ?? signal}`);
  // No Jest run at all (a filter that matched nothing) proves nothing, so it fails too.
  if (reports === 0) console.log('no test ran');
  process.exit(code === 0 && totals.failed === 0 && reports > 0 ? 0 : 1);
});
