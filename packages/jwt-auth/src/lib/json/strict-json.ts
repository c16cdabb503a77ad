import { JwtAuthError } from '../errors/jwt-auth.error';
/** A JSON object as produced by {@link parseStrictJson}: a null-prototype record. */
export type JsonObject = { [member: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** Thrown by {@link parseStrictJson}; the message names the fault and its offset, never the input. */
export class StrictJsonError extends JwtAuthError {
  override readonly name = 'StrictJsonError';
  /** Always `json_invalid`. */
  readonly code = 'json_invalid';
}

/** Default bound on nesting depth (objects and arrays). Access-token headers and payloads are shallow. */
export const DEFAULT_MAX_JSON_DEPTH = 20;

/**
 * A null-prototype object that V8 keeps fast. `Object.create(null)` and `{ __proto__: null }` literals start in
 * dictionary mode (slow to fill, read and freeze), and changing the prototype of a filled object makes every later
 * `Object.freeze` mint a new hidden class. Giving an empty literal the null prototype first avoids both: objects
 * filled alike share one hidden class, frozen or not (decision 008). Assigning `__proto__` on the result defines an
 * ordinary member, as on any null-prototype object.
 */
export function createNullProtoObject<T extends object>(): T {
  return Object.setPrototypeOf({}, null) as T;
}

// Member names repeat from token to token. Looking a name up in a StrictJsonReader's name cache by a hash of its
// characters, and comparing it in place, is cheaper than slicing it and having the engine internalize the slice on
// every property store. Entries are flat internalized copies (a slice of a long name would keep its whole document
// alive), at most 1024 of them, each at most 64 characters; a colliding name simply takes the slot.
const NAME_CACHE_SLOTS = 1024;
const MAX_CACHED_NAME_LENGTH = 64;

function internalize(name: string): string {
  return Object.keys({ [name]: 0 })[0];
}

// Scanning a string from `begin` (just past its opening quote) gives the index of its closing quote when no escape or
// control character comes first; ESCAPED when one does (the caller decides what that means); UNTERMINATED when the
// text ends first.
const ESCAPED = -1;
const UNTERMINATED = -2;

function scanString(text: string, begin: number, n: number): number {
  for (let close = begin; close < n; close++) {
    const c = text.charCodeAt(close);
    if (c === 0x22) return close;
    if (c < 0x20 || c === 0x5c) return ESCAPED;
  }
  return UNTERMINATED;
}

// The hash of a member name's characters that picks its name cache slot. The flat-object fast path takes the same
// hash inline, in the loop that scans the name.
function nameHash(text: string, begin: number, close: number): number {
  let hash = 0;
  for (let k = begin; k < close; k++) hash = (Math.imul(hash, 31) + text.charCodeAt(k)) | 0;
  return hash;
}

// The name cache slot of a name whose characters hash to `hash`.
function nameSlot(hash: number): number {
  return (hash ^ (hash >>> 10)) & (NAME_CACHE_SLOTS - 1);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class StrictJsonParser {
  private i = 0;
  private readonly n: number;

  constructor(
    private readonly reader: StrictJsonReader,
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

  /** A member name: {@link string}, served from the name cache when the same name was seen before. */
  private memberName(): string {
    // text[i] is the opening quote; escapes and control characters go to escapedString, which decides.
    const begin = this.i + 1;
    const close = scanString(this.text, begin, this.n);
    if (close === ESCAPED) return this.escapedString(begin);
    if (close === UNTERMINATED) this.unterminated();
    this.i = close + 1;
    return this.reader.nameAt(this.text, begin, close);
  }

  private unterminated(): never {
    this.i = this.n;
    return this.fail('unterminated string');
  }

  private string(): string {
    // text[i] is the opening quote. Strings in tokens are short, so one character loop beats an indexOf call followed
    // by the same loop.
    const begin = this.i + 1;
    const close = scanString(this.text, begin, this.n);
    if (close === ESCAPED) return this.escapedString(begin);
    if (close === UNTERMINATED) this.unterminated();
    this.i = close + 1;
    return this.text.slice(begin, close);
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
    const negative = text.charCodeAt(start) === 0x2d;
    if (negative) this.i++;
    const first = text.charCodeAt(this.i);
    if (first === 0x30) this.i++;
    else if (first >= 0x31 && first <= 0x39) this.digits();
    else this.fail('bad number');
    const next = text.charCodeAt(this.i);
    if (next !== 0x2e && next !== 0x65 && next !== 0x45 && this.i - start <= 15) {
      // An integer of at most 15 digits (every NumericDate) is exact in a double: add it up, no slice, no Number().
      let value = 0;
      for (let k = negative ? start + 1 : start; k < this.i; k++) value = value * 10 + (text.charCodeAt(k) - 0x30);
      return negative ? -value : value;
    }
    if (next === 0x2e) {
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
    const obj = createNullProtoObject<JsonObject>();
    this.skipWs();
    if (text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return Object.freeze(obj);
    }
    for (;;) {
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x22) this.fail('expected member name');
      const key = this.memberName();
      // Object.hasOwn works on null-prototype objects and never consults a prototype chain.
      if (Object.hasOwn(obj, key)) this.fail('duplicate member name');
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x3a) this.fail('expected ":"');
      this.i++;
      obj[key] = this.value(depth + 1);
      this.skipWs();
      const d = text.charCodeAt(this.i);
      this.i++;
      if (d === 0x7d) return Object.freeze(obj);
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
      return Object.freeze(arr) as JsonValue[];
    }
    for (;;) {
      arr.push(this.value(depth + 1));
      this.skipWs();
      const d = text.charCodeAt(this.i);
      this.i++;
      if (d === 0x5d) return Object.freeze(arr) as JsonValue[];
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
 * A strict JSON parser ({@link parseStrictJson}) with the state that makes repeated documents cheap: a cache of member
 * names and the stamps that find duplicate names on the flat-object fast path. The state belongs to its owner (one
 * per token parser, so one per verifier), is never shared between owners, and never changes what a parse returns.
 */
export class StrictJsonReader {
  private readonly names: (string | undefined)[] = new Array<string | undefined>(NAME_CACHE_SLOTS).fill(undefined);
  // Duplicate names, found on the fast path without a property lookup per member: equal names hash alike, so a name
  // whose slot no earlier member of this object stamped cannot be a duplicate. Only a stamped slot (a duplicate, or
  // another name with the same slot) costs a lookup. Each object parsed there stamps with a number of its own.
  private readonly slotStamps = new Uint32Array(NAME_CACHE_SLOTS);
  private stamp = 0;

  /**
   * Parse `text` as {@link parseStrictJson} does, trying the flat-object fast path first.
   * @throws StrictJsonError
   */
  parse(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonValue {
    // The fast path nests an array in an object: two levels.
    return (maxDepth >= 2 ? this.parseFlatObject(text) : undefined) ?? this.parseSlowPath(text, maxDepth);
  }

  /** {@link parse} without the flat-object fast path, for tests that hold the two against each other. */
  parseSlowPath(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonValue {
    return new StrictJsonParser(this, text, maxDepth).parseDocument();
  }

  /** The member name text[begin, close), from the name cache or freshly cached when it is short enough. */
  nameAt(text: string, begin: number, close: number): string {
    if (close - begin > MAX_CACHED_NAME_LENGTH) return text.slice(begin, close);
    return this.cachedName(text, begin, close, nameHash(text, begin, close));
  }

  // The short member name text[begin, close), whose characters hash to `hash`, from the cache or freshly cached.
  private cachedName(text: string, begin: number, close: number, hash: number): string {
    const slot = nameSlot(hash);
    const cached = this.names[slot];
    if (cached !== undefined && cached.length === close - begin && text.startsWith(cached, begin)) return cached;
    const name = internalize(text.slice(begin, close));
    this.names[slot] = name;
    return name;
  }

  /**
   * The flat-object fast path of {@link parse}; `undefined` means "not in its subset". Access-token payloads are one
   * object of strings, small integers, booleans and arrays of those, written without whitespace. This reads exactly
   * that subset, in one function over local variables, and gives up on anything else, never rejecting: whitespace,
   * escapes, control characters, other numbers, null, nesting, empty containers, a duplicate name or trailing data all
   * go to the full parser, which accepts or refuses them with its own message. Where it succeeds, its result equals
   * the full parser's (tested against it).
   */
  parseFlatObject(text: string): JsonObject | undefined {
    const n = text.length;
    if (text.charCodeAt(0) !== 0x7b) return undefined;
    const stamps = this.slotStamps;
    let stamp = (this.stamp + 1) >>> 0;
    if (stamp === 0) {
      stamps.fill(0);
      stamp = 1;
    }
    this.stamp = stamp;
    const obj = createNullProtoObject<JsonObject>();
    let i = 1;
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) return undefined;
      const begin = i + 1;
      let close = begin;
      let hash = 0;
      for (;;) {
        if (close >= n) return undefined;
        const c = text.charCodeAt(close);
        if (c === 0x22) break;
        if (c < 0x20 || c === 0x5c) return undefined;
        hash = (Math.imul(hash, 31) + c) | 0;
        close++;
      }
      let name: string;
      if (close - begin > MAX_CACHED_NAME_LENGTH) {
        name = text.slice(begin, close);
        if (Object.hasOwn(obj, name)) return undefined;
      } else {
        name = this.cachedName(text, begin, close, hash);
        const slot = nameSlot(hash);
        if (stamps[slot] !== stamp) stamps[slot] = stamp;
        else if (Object.hasOwn(obj, name)) return undefined;
      }
      if (text.charCodeAt(close + 1) !== 0x3a) return undefined;
      i = close + 2;
      // One scalar (a string without escapes, a positive integer of at most 15 digits, true or false), or an array
      // of them.
      let list: JsonValue[] | undefined;
      if (text.charCodeAt(i) === 0x5b) {
        list = [];
        i++;
      }
      let value: JsonValue;
      for (;;) {
        const c = text.charCodeAt(i);
        if (c === 0x22) {
          const end = scanString(text, i + 1, n);
          if (end < 0) return undefined;
          value = text.slice(i + 1, end);
          i = end + 1;
        } else if (c >= 0x31 && c <= 0x39) {
          let j = i;
          let number = 0;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d < 0x30 || d > 0x39) break;
            number = number * 10 + (d - 0x30);
            j++;
          }
          const next = text.charCodeAt(j);
          if (next === 0x2e || next === 0x65 || next === 0x45 || j - i > 15) return undefined;
          value = number;
          i = j;
        } else if (c === 0x74 && text.startsWith('true', i)) {
          value = true;
          i += 4;
        } else if (c === 0x66 && text.startsWith('false', i)) {
          value = false;
          i += 5;
        } else {
          return undefined;
        }
        if (list === undefined) break;
        list.push(value);
        const d = text.charCodeAt(i++);
        if (d === 0x5d) {
          value = Object.freeze(list) as JsonValue[];
          break;
        }
        if (d !== 0x2c) return undefined;
      }
      obj[name] = value;
      const d = text.charCodeAt(i++);
      if (d === 0x7d) return i === n ? Object.freeze(obj) : undefined;
      if (d !== 0x2c) return undefined;
    }
  }
}

/**
 * Parse RFC 8259 JSON strictly: duplicate member names are an error (JSON.parse keeps the last, which lets
 * `{"alg":"none","alg":"ES256"}` pass as ES256), nesting is bounded (no RangeError from deep input), and objects are
 * created with a null prototype so `__proto__` is an ordinary member. Every object and array comes back frozen, so a
 * parsed document can be handed out as it is. Keeps nothing between calls; hot paths own a {@link StrictJsonReader}.
 * @throws StrictJsonError
 */
export function parseStrictJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonValue {
  return new StrictJsonReader().parse(text, maxDepth);
}

/** True for a (null-prototype or plain) JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
