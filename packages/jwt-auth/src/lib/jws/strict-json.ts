/** A JSON object as produced by {@link parseStrictJson}: a null-prototype record. */
export type JsonObject = { [member: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** Thrown by {@link parseStrictJson}; the message names the fault and its offset, never the input. */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

/** Default bound on nesting depth (objects and arrays). Access-token headers and payloads are shallow. */
export const DEFAULT_MAX_JSON_DEPTH = 20;

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parse RFC 8259 JSON strictly: duplicate member names are an error (JSON.parse keeps the last, which lets
 * `{"alg":"none","alg":"ES256"}` pass as ES256), nesting is bounded (no RangeError from deep input), and objects are
 * created with a null prototype so `__proto__` is an ordinary member.
 * @throws StrictJsonError
 */
export function parseStrictJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonValue {
  let i = 0;
  const n = text.length;

  const fail = (what: string): never => {
    throw new StrictJsonError(`${what} at offset ${i}`);
  };

  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };

  const parseString = (): string => {
    // text[i] is the opening quote. Fast path: no escapes or control characters before the closing quote.
    i++;
    const close = text.indexOf('"', i);
    if (close >= 0) {
      let j = i;
      while (j < close) {
        const c = text.charCodeAt(j);
        if (c < 0x20 || c === 0x5c) break;
        j++;
      }
      if (j === close) {
        const raw = text.slice(i, close);
        i = close + 1;
        return raw;
      }
    }
    let start = i;
    let out = '';
    for (;;) {
      if (i >= n) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) fail('bad escape');
        out += r;
        i += 2;
      }
      start = i;
    }
  };

  const digits = (): number => {
    const from = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    return i - from;
  };

  // RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  const parseNumber = (): number => {
    const start = i;
    if (text.charCodeAt(i) === 0x2d) i++;
    const first = text.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) digits();
    else fail('bad number');
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (digits() === 0) fail('bad number');
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (digits() === 0) fail('bad number');
    }
    return Number(text.slice(start, i));
  };

  const parseLiteral = (word: string, value: JsonValue): JsonValue => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('unexpected token');
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (i >= n) fail('unexpected end');
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x7b /* { */: {
        if (depth >= maxDepth) fail('nesting too deep');
        i++;
        const obj = Object.create(null) as JsonObject;
        skipWs();
        if (text.charCodeAt(i) === 0x7d) {
          i++;
          return obj;
        }
        for (;;) {
          skipWs();
          if (text.charCodeAt(i) !== 0x22) fail('expected member name');
          const key = parseString();
          // Object.hasOwn works on null-prototype objects and never consults a prototype chain.
          if (Object.hasOwn(obj, key)) fail('duplicate member name');
          skipWs();
          if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
          i++;
          obj[key] = parseValue(depth + 1);
          skipWs();
          const d = text.charCodeAt(i);
          if (d === 0x2c) {
            i++;
            continue;
          }
          if (d === 0x7d) {
            i++;
            return obj;
          }
          fail('expected "," or "}"');
        }
      }
      case 0x5b /* [ */: {
        if (depth >= maxDepth) fail('nesting too deep');
        i++;
        const arr: JsonValue[] = [];
        skipWs();
        if (text.charCodeAt(i) === 0x5d) {
          i++;
          return arr;
        }
        for (;;) {
          arr.push(parseValue(depth + 1));
          skipWs();
          const d = text.charCodeAt(i);
          if (d === 0x2c) {
            i++;
            continue;
          }
          if (d === 0x5d) {
            i++;
            return arr;
          }
          fail('expected "," or "]"');
        }
      }
      case 0x22:
        return parseString();
      case 0x74:
        return parseLiteral('true', true);
      case 0x66:
        return parseLiteral('false', false);
      case 0x6e:
        return parseLiteral('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber();
        return fail('unexpected token');
    }
  };

  const value = parseValue(0);
  skipWs();
  if (i !== n) fail('trailing data');
  return value;
}

/** True for a (null-prototype or plain) JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
