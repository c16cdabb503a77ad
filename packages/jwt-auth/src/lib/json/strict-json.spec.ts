import * as fc from 'fast-check';
import { parseStrictJson, StrictJsonError, StrictJsonReader, type JsonObject, type JsonValue } from './strict-json';

// One reader for the whole file, as a verifier keeps one: its name cache and stamps carry over between documents.
const reader = new StrictJsonReader();
const parseFlatObject = (text: string): JsonObject | undefined => reader.parseFlatObject(text);
const parseStrictJsonSlowPath = (text: string): JsonValue => reader.parseSlowPath(text);

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

  it('counts member names across quotes, escapes and nesting', () => {
    // Escaped quotes and backslash runs inside names and values do not end a string early.
    expect(() => parseStrictJson('{"a\\"":1,"a\\"":2}')).toThrow(/duplicate/);
    expect(() => parseStrictJson('{"x":"\\\\","x":1}')).toThrow(/duplicate/);
    expect(() => parseStrictJson('{"v":"\\":","v":1}')).toThrow(/duplicate/);
    expect(() => parseStrictJson('[{"k":1},{"a":1,"a":2}]')).toThrow(/duplicate/);
    expect(() => parseStrictJson('{"o":{"a":{"b":1,"b":1}}}')).toThrow(/duplicate/);
    // The same name in different objects, and colons inside strings, are fine.
    expect(parseStrictJson('{"a":{"a":1},"b":[{"a":2},{"a":3}],"u":"https://h:8443/p?x=\\":","c":"\\\\"}')).toEqual({
      a: { a: 1 },
      b: [{ a: 2 }, { a: 3 }],
      u: 'https://h:8443/p?x=":',
      c: '\\',
    });
  });

  it('gives nested objects, also inside arrays, a null prototype', () => {
    const value = parseStrictJson('{"a":[{"b":{}}]}') as { a: [{ b: object }] };
    expect(Object.getPrototypeOf(value.a[0])).toBeNull();
    expect(Object.getPrototypeOf(value.a[0].b)).toBeNull();
  });

  it('returns every object and array frozen', () => {
    const value = parseStrictJson('{"a":[{"b":{}},[]],"c":{}}') as { a: [{ b: object }, unknown[]]; c: object };
    for (const part of [value, value.a, value.a[0], value.a[0].b, value.a[1], value.c])
      expect(Object.isFrozen(part)).toBe(true);
  });

  it('reads integers exactly on the fast path and everything else through Number()', () => {
    for (const text of [
      '0',
      '-0',
      '7',
      '-42',
      '253402300799',
      '999999999999999',
      '-999999999999999',
      '9007199254740993',
      '12345678901234567890',
      '1.5',
      '-0.0',
      '1e3',
      '1E-3',
      '10.25e+2',
    ]) {
      expect(Object.is(parseStrictJson(text), JSON.parse(text))).toBe(true);
      expect(Object.is((parseStrictJson(`{"n":${text}}`) as { n: number }).n, JSON.parse(text))).toBe(true);
    }
  });

  it('never confuses member names through its name cache', () => {
    // Many names of equal length and equal first and last characters, seen twice, in different orders; long names
    // past the cache limit; and names that differ only in escapes.
    const names = Array.from({ length: 3000 }, (_, i) => `n${i.toString(36).padStart(4, '0')}x`);
    names.push('x'.repeat(65), 'x'.repeat(64) + 'y', '\\u0061bc');
    for (const order of [names, [...names].reverse()]) {
      const text = `{${order.map((name, i) => `"${name}":${i}`).join(',')}}`;
      const parsed = parseStrictJson(text) as Record<string, number>;
      expect(Object.keys(parsed)).toEqual(Object.keys(JSON.parse(text) as object));
      expect(Object.values(parsed)).toEqual(order.map((_, i) => i));
    }
    expect(() => parseStrictJson('{"ab":1,"\u0061b":2}')).toThrow(/duplicate/);
  });

  it('does not count members inherited from a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = 1;
    try {
      expect(Object.keys(parseStrictJson('{"a":1}') as object)).toEqual(['a']);
    } finally {
      delete proto['polluted'];
    }
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

describe('parseFlatObject (the fast path of parseStrictJson)', () => {
  const payload = {
    iss: 'https://issuer.test',
    sub: 'user-1',
    aud: ['orders-api', 'billing'],
    iat: 1_800_000_000,
    exp: 1_800_000_300,
    jti: 'a1b2c3',
    client_id: 'web',
    scope: 'orders:read orders:write',
    admin: false,
    mfa: true,
    roles: [],
    n: [1, 22, 333],
    '\u00e9t\u00e9': 'caf\u00e9 \u{1f600}',
  };

  // Every object and array is frozen and every object has a null prototype.
  function expectFrozenNullProto(value: JsonValue): void {
    if (typeof value !== 'object' || value === null) return;
    expect(Object.isFrozen(value)).toBe(true);
    if (Array.isArray(value)) value.forEach(expectFrozenNullProto);
    else {
      expect(Object.getPrototypeOf(value)).toBeNull();
      Object.values(value).forEach(expectFrozenNullProto);
    }
  }

  // The fast path either gives up or returns what the slow path returns; it never refuses what the slow path takes.
  function agrees(text: string): boolean {
    const fast = parseFlatObject(text);
    let slow: JsonValue | 'refused';
    try {
      slow = parseStrictJsonSlowPath(text);
    } catch {
      slow = 'refused';
    }
    if (fast === undefined) return true;
    expect(slow).not.toBe('refused');
    expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
    expect(Object.keys(fast)).toEqual(Object.keys(slow as object));
    expectFrozenNullProto(fast);
    return true;
  }

  it('keeps two names that share a name-cache slot apart, and still finds a duplicate of either', () => {
    // The name cache's hash and slot (strict-json.ts): a collision within one object must cost a lookup, not a miss.
    const slotOf = (name: string): number => {
      let hash = 0;
      for (let k = 0; k < name.length; k++) hash = (Math.imul(hash, 31) + name.charCodeAt(k)) | 0;
      return (hash ^ (hash >>> 10)) & 1023;
    };
    const bySlot = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let k = 0; !pair; k++) {
      const name = `n${k}`;
      const other = bySlot.get(slotOf(name));
      if (other !== undefined) pair = [other, name];
      else bySlot.set(slotOf(name), name);
    }
    const [a, b] = pair;
    for (let round = 0; round < 2; round++) {
      expect(JSON.stringify(parseFlatObject(`{"${a}":1,"x":2,"${b}":3}`))).toBe(`{"${a}":1,"x":2,"${b}":3}`);
      expect(parseFlatObject(`{"${a}":1,"${b}":2,"${a}":3}`)).toBeUndefined();
      expect(parseFlatObject(`{"${a}":1,"${b}":2,"${b}":3}`)).toBeUndefined();
      expect(() => parseStrictJson(`{"${b}":1,"${a}":2,"${b}":3}`)).toThrow(/duplicate/);
    }
  });

  it('takes many members, long names among them', () => {
    const doc = Object.fromEntries(Array.from({ length: 32 }, (_, k) => [`${'x'.repeat(k * 3)}m${k}`, k + 1]));
    expect(JSON.stringify(parseFlatObject(JSON.stringify(doc)))).toBe(JSON.stringify(doc));
  });

  it('takes typical access-token payloads (so the hot path really is the fast one)', () => {
    const text = JSON.stringify({ ...payload, roles: undefined }); // no empty array: the fast path leaves those out
    const fast = parseFlatObject(text);
    expect(fast).toBeDefined();
    expect(JSON.stringify(fast)).toBe(text);
    expectFrozenNullProto(fast as JsonValue);
  });

  it.each([
    ['whitespace', '{ "a":1}'],
    ['an escape', '{"a":"\\n"}'],
    ['a control character', '{"a":"\u0001"}'],
    ['a negative number', '{"a":-1}'],
    ['zero', '{"a":0}'],
    ['a fraction', '{"a":1.5}'],
    ['an exponent', '{"a":1e3}'],
    ['16 digits', '{"a":1234567890123456}'],
    ['null', '{"a":null}'],
    ['a nested object', '{"a":{"b":1}}'],
    ['a nested array', '{"a":[[1]]}'],
    ['an empty array', '{"a":[]}'],
    ['an empty object', '{}'],
    ['a duplicate name', '{"a":1,"a":2}'],
    ['a duplicate long name', `{"${'n'.repeat(70)}":1,"${'n'.repeat(70)}":2}`],
    ['trailing data', '{"a":1}x'],
    ['a trailing comma', '{"a":1,}'],
    ['a top-level array', '[1]'],
    ['an unterminated string', '{"a":"b'],
    ['a truncated literal', '{"a":tru}'],
    ['a number running into a name', '{"a":12b}'],
  ])('gives up on %s and leaves the verdict to the full parser', (_what, text) => {
    expect(parseFlatObject(text)).toBeUndefined();
    expect(agrees(text)).toBe(true);
  });

  it('still refuses duplicates and trailing data through parseStrictJson', () => {
    expect(() => parseStrictJson('{"alg":"none","alg":"ES256"}')).toThrow(/duplicate/);
    expect(() => parseStrictJson('{"a":1}}')).toThrow(/trailing/);
    expect(() => parseStrictJson('{"a":[1]}', 1)).toThrow(/too deep/);
  });

  it('agrees with the full parser on every single-character edit of a payload', () => {
    const text = JSON.stringify(payload);
    const inserts = ['"', ',', ':', '{', '}', '[', ']', ' ', '\\', '0', '1', '-', '.', 'e', 't', 'n', '\u0000'];
    for (let i = 0; i <= text.length; i++) {
      agrees(text.slice(0, i) + text.slice(i + 1));
      for (const c of inserts) agrees(text.slice(0, i) + c + text.slice(i));
    }
  });

  it('agrees with the full parser on generated flat documents', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.integer({ min: -5, max: 2 ** 53 }),
      fc.boolean(),
      fc.constant(null),
      fc.double(),
    );
    const member = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 4 }),
      fc.dictionary(fc.string(), scalar, { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), member, { maxKeys: 8 }),
        fc.string({ maxLength: 3 }),
        fc.nat(),
        (doc, noise, at) => {
          const text = JSON.stringify(doc);
          agrees(text);
          const cut = at % (text.length + 1);
          agrees(text.slice(0, cut) + noise + text.slice(cut));
        },
      ),
      { seed: 20261207, numRuns: 3000 },
    );
  });
});
