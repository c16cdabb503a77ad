import { parseStrictJson, StrictJsonError } from './strict-json';

describe('parseStrictJson', () => {
  it.each([
    '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    '{"n":-0.5e+3,"s":"\\u00e9\\n\\"\\\\\\/","u":"\\ud83d\\ude00"}',
    ' { "spaced" : [ 1 , 2 ] } ',
    '[]',
    '"x"',
    '12',
  ])('agrees with JSON.parse on %s', (text) => {
    expect(JSON.stringify(parseStrictJson(text))).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('rejects duplicate member names (JSON.parse keeps the last one)', () => {
    expect(() => parseStrictJson('{"alg":"none","alg":"ES256"}')).toThrow(StrictJsonError);
    expect(() => parseStrictJson('{"a":{"x":1,"x":2}}')).toThrow(/duplicate/);
  });

  it('detects duplicates written with different escapes of the same name', () => {
    expect(() => parseStrictJson('{"alg":"a","\\u0061lg":"b"}')).toThrow(/duplicate/);
  });

  it('bounds nesting depth instead of overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseStrictJson(deep)).toThrow(/too deep/);
    expect(() => parseStrictJson('{"a":'.repeat(21) + '1' + '}'.repeat(21))).toThrow(/too deep/);
    expect(parseStrictJson('{"a":'.repeat(19) + '1' + '}'.repeat(19))).toBeDefined();
  });

  it('creates null-prototype objects where __proto__ is an ordinary member', () => {
    const value = parseStrictJson('{"__proto__":{"polluted":true},"constructor":1}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it.each([
    ['\ufeff{}', 'a byte order mark'],
    ['{"a":1}x', 'trailing data'],
    ["{'a':1}", 'single quotes'],
    ['{"a":1,}', 'a trailing comma'],
    ['{"a":01}', 'a leading zero'],
    ['{"a":NaN}', 'NaN'],
    ['{"a":"\u0001"}', 'a raw control character'],
    ['{"a":"\\x41"}', 'an unknown escape'],
    ['{"a":"\\u12"}', 'a short unicode escape'],
    ['{"a" 1}', 'a missing colon'],
    ['{"a":1', 'an unterminated object'],
    ['{"a":"x', 'an unterminated string'],
    ['', 'empty input'],
    ['{"a":tru}', 'a broken literal'],
    ['{"a":-}', 'a bare minus'],
  ])('rejects %j (%s)', (text) => {
    expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
  });

  it('never echoes the input in its message', () => {
    expect(() => parseStrictJson('{"secret-value":1,"secret-value":2}')).toThrow(/^((?!secret-value).)*$/);
  });
});
