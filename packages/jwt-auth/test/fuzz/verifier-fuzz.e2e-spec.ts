import { FUZZ_TARGETS, runFuzzTarget, type FuzzTargetReport } from '../../fuzz/verifier.fuzz';

// The CI slice of the fuzz targets: a fixed seed and a fixed number of runs, a couple of seconds in all. Longer
// runs: `npm run fuzz -- --seconds 600` (random seed, printed), replay a failure with `--target --seed --path`.

jest.setTimeout(60_000);

const SEED = 20_250_611;
const RUNS: Readonly<Record<string, number>> = {
  'strict-json': 5000,
  'verify-arbitrary-strings': 4000,
  'verify-random-segments': 3000,
  'verify-hostile-claims': 2000,
  'verify-token-edits': 3000,
};

const reports: FuzzTargetReport[] = [];

describe(`fuzz targets (seed ${SEED})`, () => {
  it('has a run budget for every target', () => {
    expect(FUZZ_TARGETS.map((t) => t.name).sort()).toEqual(Object.keys(RUNS).sort());
  });

  it.each(FUZZ_TARGETS.map((target) => ({ ...target, target })))('$name: $property', async ({ name, target }) => {
    const report = await runFuzzTarget(target, { seed: SEED, numRuns: RUNS[name] });
    reports.push(report);
    // On failure this shows the error and the path that replays it: npm run fuzz -- --target <name> --seed <seed> --path <path>.
    expect({ target: name, seed: SEED, failure: report.failure }).toEqual({
      target: name,
      seed: SEED,
      failure: undefined,
    });
    expect(report.runs).toBe(RUNS[name]);
  });

  it('exercises both verdicts where the oracle decides them', () => {
    const outcomes = (name: string) => reports.find((r) => r.target === name)?.outcomes ?? {};
    const json = outcomes('strict-json');
    expect(json['parsed']).toBeGreaterThan(RUNS['strict-json'] * 0.15);
    expect(json['rejected']).toBeGreaterThan(RUNS['strict-json'] * 0.15);
    const hostile = outcomes('verify-hostile-claims');
    const rejected = Object.entries(hostile).filter(([outcome]) => outcome !== 'accepted');
    expect(hostile['accepted']).toBeGreaterThan(RUNS['verify-hostile-claims'] * 0.15);
    expect(rejected.reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(RUNS['verify-hostile-claims'] * 0.15);
    // Hostile claims reach past parsing: the claim checks themselves refuse some of them.
    for (const code of ['claim_invalid', 'audience_invalid', 'issuer_invalid', 'token_too_large'])
      expect(hostile[code]).toBeGreaterThan(0);
    const total = reports.reduce((sum, r) => sum + r.runs, 0);
    console.log(
      `Fuzz (seed ${SEED}): ${total} iterations in ${(reports.reduce((sum, r) => sum + r.ms, 0) / 1000).toFixed(1)} s; ` +
        reports.map((r) => `${r.target} ${r.runs} runs ${r.ms} ms (slowest call ${r.slowestCallMs} ms)`).join('; '),
    );
  });
});
