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

class StrictJsonParser {
  private i = 0;
  private readonly n: number;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {
    this.n = text.length;
  }

  parseDocument(): JsonValue {
    const value = this.value(0);
    this.skipWs();
    if (this.i !== this.n) this.fail('trailing data');
    return value;
  }

  private fail(what: string): never {
    throw new StrictJsonError(`${what} at offset ${this.i}`);
  }

  private skipWs(): void {
    const { text, n } = this;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private string(): string {
    const text = this.text;
    // text[i] is the opening quote. Fast path: no escapes or control characters before the closing quote.
    const begin = this.i + 1;
    const close = text.indexOf('"', begin);
    if (close < 0) {
      this.i = this.n;
      this.fail('unterminated string');
    }
    let j = begin;
    while (j < close) {
      const c = text.charCodeAt(j);
      if (c < 0x20 || c === 0x5c) break;
      j++;
    }
    if (j === close) {
      this.i = close + 1;
      return text.slice(begin, close);
    }
    return this.escapedString(begin);
  }

  private escapedString(begin: number): string {
    const { text, n } = this;
    let i = begin;
    let start = i;
    let out = '';
    for (;;) {
      if (i >= n) {
        this.i = i;
        this.fail('unterminated string');
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out + text.slice(start, i);
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('control character in string');
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
          this.i = i;
          this.fail('bad \\u escape');
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) {
          this.i = i;
          this.fail('bad escape');
        }
        out += r;
        i += 2;
      }
      start = i;
    }
  }

  private digits(): number {
    const { text, n } = this;
    const from = this.i;
    let i = from;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    this.i = i;
    return i - from;
  }

  // RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  private number(): number {
    const text = this.text;
    const start = this.i;
    if (text.charCodeAt(this.i) === 0x2d) this.i++;
    const first = text.charCodeAt(this.i);
    if (first === 0x30) this.i++;
    else if (first >= 0x31 && first <= 0x39) this.digits();
    else this.fail('bad number');
    if (text.charCodeAt(this.i) === 0x2e) {
      this.i++;
      if (this.digits() === 0) this.fail('bad number');
    }
    const e = text.charCodeAt(this.i);
    if (e === 0x65 || e === 0x45) {
      this.i++;
      const sign = text.charCodeAt(this.i);
      if (sign === 0x2b || sign === 0x2d) this.i++;
      if (this.digits() === 0) this.fail('bad number');
    }
    return Number(text.slice(start, this.i));
  }

  private literal(word: string, value: JsonValue): JsonValue {
    if (!this.text.startsWith(word, this.i)) this.fail('unexpected token');
    this.i += word.length;
    return value;
  }

  private object(depth: number): JsonObject {
    if (depth >= this.maxDepth) this.fail('nesting too deep');
    const text = this.text;
    this.i++;
    const obj = Object.create(null) as JsonObject;
    this.skipWs();
    if (text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    for (;;) {
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x22) this.fail('expected member name');
      const key = this.string();
      // Object.hasOwn works on null-prototype objects and never consults a prototype chain.
      if (Object.hasOwn(obj, key)) this.fail('duplicate member name');
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x3a) this.fail('expected ":"');
      this.i++;
      obj[key] = this.value(depth + 1);
      this.skipWs();
      const d = text.charCodeAt(this.i);
      this.i++;
      if (d === 0x7d) return obj;
      if (d !== 0x2c) {
        this.i--;
        this.fail('expected "," or "}"');
      }
    }
  }

  private array(depth: number): JsonValue[] {
    if (depth >= this.maxDepth) this.fail('nesting too deep');
    const text = this.text;
    this.i++;
    const arr: JsonValue[] = [];
    this.skipWs();
    if (text.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return arr;
    }
    for (;;) {
      arr.push(this.value(depth + 1));
      this.skipWs();
      const d = text.charCodeAt(this.i);
      this.i++;
      if (d === 0x5d) return arr;
      if (d !== 0x2c) {
        this.i--;
        this.fail('expected "," or "]"');
      }
    }
  }

  private value(depth: number): JsonValue {
    this.skipWs();
    if (this.i >= this.n) this.fail('unexpected end');
    const c = this.text.charCodeAt(this.i);
    switch (c) {
      case 0x7b /* { */:
        return this.object(depth);
      case 0x5b /* [ */:
        return this.array(depth);
      case 0x22 /* " */:
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.fail('unexpected token');
    }
  }
}

/**
 * Parse RFC 8259 JSON strictly: duplicate member names are an error (JSON.parse keeps the last, which lets
 * `{"alg":"none","alg":"ES256"}` pass as ES256), nesting is bounded (no RangeError from deep input), and objects are
 * created with a null prototype so `__proto__` is an ordinary member.
 * @throws StrictJsonError
 */
export function parseStrictJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonValue {
  return new StrictJsonParser(text, maxDepth).parseDocument();
}

/** True for a (null-prototype or plain) JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
