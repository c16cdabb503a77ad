import { JwtAuthConfigError } from './auth.errors';
import { closestName, ConfigProblems } from './config-problems';

describe('closestName', () => {
  const known = ['issuer', 'audience', 'algorithms', 'jwksUri', 'clockTolerance', 'keys'];

  it.each([
    ['audiance', 'audience'],
    ['Audience', 'audience'],
    ['audeince', 'audience'],
    ['algorithm', 'algorithms'],
    ['jwksUrl', 'jwksUri'],
    ['clockTolerence', 'clockTolerance'],
    ['issuers', 'issuer'],
  ])('suggests %s -> %s', (name, expected) => {
    expect(closestName(name, known)).toBe(expected);
  });

  it.each(['colour', 'jwks', 'x', 'tolerance'])('suggests nothing for %s, which is not a near miss', (name) => {
    expect(closestName(name, known)).toBeUndefined();
  });
});

describe('ConfigProblems', () => {
  it('collects problems from checks and throws them together, in order', () => {
    const problems = new ConfigProblems();
    problems.add('a', 'is wrong', 'fix a');
    expect(
      problems.check(() => {
        throw new JwtAuthConfigError([
          { option: 'b', problem: 'is wrong', fix: 'fix b' },
          { option: 'c', problem: 'is wrong', fix: 'fix c' },
        ]);
      }),
    ).toBeUndefined();
    expect(problems.check(() => 42)).toBe(42);
    expect(() => problems.check(() => JSON.parse('{'))).toThrow(SyntaxError);
    expect(problems.count).toBe(3);
    expect(() => problems.throwIfAny((option) => `x.${option}`)).toThrow(
      '3 problems in the options:\n  - Invalid option x.a: is wrong. Fix: fix a\n' +
        '  - Invalid option x.b: is wrong. Fix: fix b\n  - Invalid option x.c: is wrong. Fix: fix c',
    );
    expect(() => new ConfigProblems().throwIfAny()).not.toThrow();
  });

  it('drops the complaint about a missing option that a did-you-mean already points at, but not about a present one', () => {
    const missing = new ConfigProblems();
    missing.rejectUnknown('issuers[0]', { audiance: 'x' }, ['issuer', 'audience'], 'an issuer');
    missing.add('issuers[0].audience', 'is empty', 'set it');
    expect(missing.problems().map((problem) => problem.option)).toEqual(['issuers[0].audiance']);

    const present = new ConfigProblems();
    present.rejectUnknown('', { audiance: 'x', audience: '' }, ['issuer', 'audience'], 'the module');
    present.add('audience', 'is empty', 'set it');
    expect(present.problems().map((problem) => problem.option)).toEqual(['audiance', 'audience']);
  });
});
