import { benchCache } from './cache.bench';
import { benchCore } from './core.bench';
import { benchHttp } from './http.bench';
import { benchInstructions } from './instructions.bench';
import { benchMetrics } from './metrics.bench';
import { benchProfile } from './profile.bench';
import { benchReference } from './reference.bench';
import { benchRpc } from './rpc.bench';
import { benchService } from './service.bench';
import { benchX509 } from './x509.bench';
import type { BenchResult } from './measure';

function numberArg(name: string): number | undefined {
  const value = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  return value === undefined ? undefined : Number(value);
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const results: BenchResult[] = [];
  if (!only || only === 'core') results.push(...(await benchCore()));
  if (!only || only === 'reference') results.push(...(await benchReference()));
  if (!only || only === 'http')
    results.push(...(await benchHttp({ rounds: numberArg('rounds'), seconds: numberArg('seconds') })));
  if (!only || only === 'profile') results.push(...(await benchProfile()));
  if (!only || only === 'instructions') results.push(...(await benchInstructions()));
  if (!only || only === 'cache') results.push(...(await benchCache()));
  if (!only || only === 'service')
    results.push(...(await benchService({ rounds: numberArg('rounds'), seconds: numberArg('seconds') })));
  if (!only || only === 'rpc') results.push(...(await benchRpc()));
  if (!only || only === 'metrics') results.push(...(await benchMetrics()));
  if (!only || only === 'x509') results.push(...(await benchX509()));
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  console.log(
    'case'.padEnd(64),
    'ops/s'.padStart(9),
    'baseline'.padStart(9),
    'ratio'.padStart(6),
    'floor_ratio'.padStart(12),
    'range'.padStart(12),
    'p99 ms'.padStart(9),
    'CPU µs/req'.padStart(13),
    'cpu ratio'.padStart(9),
    'RSS MB'.padStart(12),
    'load cpu'.padStart(10),
  );
  for (const r of results) {
    const pair = (a: number | undefined, b: number | undefined) => (a === undefined ? '' : `${a}/${b}`);
    console.log(
      r.case.padEnd(64),
      String(r.ops_per_sec).padStart(9),
      String(r.baseline_ops_per_sec).padStart(9),
      r.ratio.toFixed(3).padStart(6),
      (r.floor_ratio === undefined ? '' : r.floor_ratio.toFixed(3)).padStart(12),
      (r.ratio_range ? r.ratio_range.map((x) => x.toFixed(2)).join('-') : '').padStart(12),
      pair(r.p99_ms, r.baseline_p99_ms).padStart(9),
      pair(r.cpu_us, r.baseline_cpu_us).padStart(13),
      (r.cpu_ratio === undefined ? '' : r.cpu_ratio.toFixed(3)).padStart(9),
      pair(r.peak_rss_mb, r.baseline_peak_rss_mb).padStart(12),
      pair(r.load_cpu?.[0], r.load_cpu?.[1]).padStart(10),
      r.figures ? JSON.stringify(r.figures) : '',
    );
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
