import { logSafe, MAX_LOGGED_LENGTH, printableOrUndefined } from './log-safe';

describe('logSafe', () => {
  it('quotes printable ASCII as it is, escaping quote and backslash', () => {
    expect(logSafe('k1')).toBe('"k1"');
    expect(logSafe('a "b" \\c')).toBe('"a \\"b\\" \\\\c"');
  });

  it.each([
    ['CR/LF starting a fake line', 'k1\r\n[Nest] 1 - ERROR forged', '"k1\\x0d\\x0a[Nest] 1 - ERROR forged"'],
    ['an ANSI escape sequence', '\u001b[31mred\u001b[0m', '"\\x1b[31mred\\x1b[0m"'],
    ['a C1 CSI', '\u009b2J', '"\\x9b2J"'],
    ['NUL and DEL', '\u0000\u007f', '"\\x00\\x7f"'],
    ['LINE SEPARATOR and a BOM', '\u2028\ufeff', '"\\u2028\\ufeff"'],
    ['a lone surrogate', '\ud800', '"\\ud800"'],
  ])('escapes %s', (_what, value, logged) => {
    const out = logSafe(value);
    expect(out).toBe(logged);
    expect(out).toMatch(/^[\x20-\x7e]*$/);
  });

  it('cuts long values and says how much was left out', () => {
    const out = logSafe('x'.repeat(MAX_LOGGED_LENGTH + 10));
    expect(out).toBe(`"${'x'.repeat(MAX_LOGGED_LENGTH)}"...(10 more)`);
    expect(logSafe('abcdef', 3)).toBe('"abc"...(3 more)');
  });

  it('describes non-strings by their type only', () => {
    expect(logSafe(undefined)).toBe('(none)');
    expect(logSafe(null)).toBe('(null)');
    expect(logSafe({ toString: () => 'evil\n' })).toBe('(object)');
    expect(logSafe(42)).toBe('(number)');
  });
});

describe('printableOrUndefined', () => {
  it('keeps short printable ASCII without spaces and drops everything else', () => {
    expect(printableOrUndefined('kid-1')).toBe('kid-1');
    for (const value of ['', 'a b', 'a\nb', '\u00e9', 'x'.repeat(MAX_LOGGED_LENGTH + 1), 7, undefined]) {
      expect(printableOrUndefined(value)).toBeUndefined();
    }
  });
});
