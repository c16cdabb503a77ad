import { benchCore } from './core.bench';
import { benchHttp } from './http.bench';
import { benchReference } from './reference.bench';
import { benchX509 } from './x509.bench';
import type { BenchResult } from './measure';

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const results: BenchResult[] = [];
  if (!only || only === 'core') results.push(...(await benchCore()));
  if (!only || only === 'reference') results.push(...(await benchReference()));
  if (!only || only === 'http') results.push(...(await benchHttp()));
  if (!only || only === 'x509') results.push(...(await benchX509()));
  if (json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  console.log(
    'case'.padEnd(48),
    'ops/s'.padStart(10),
    'baseline'.padStart(10),
    'ratio'.padStart(7),
    'floor_ratio'.padStart(12),
  );
  for (const r of results) {
    console.log(
      r.case.padEnd(48),
      String(r.ops_per_sec).padStart(10),
      String(r.baseline_ops_per_sec).padStart(10),
      r.ratio.toFixed(3).padStart(7),
      (r.floor_ratio === undefined ? '' : r.floor_ratio.toFixed(3)).padStart(12),
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
