import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

/** Test-only JWS forging: sign arbitrary (even malformed) segments, so a test controls every byte of a token. */

/** base64url of a string (UTF-8), bytes, or a value (JSON-encoded). */
export function b64u(value: string | Buffer | object): string {
  return Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** A signing key: a private `KeyObject`, or HMAC key bytes (a secret, or anything an attacker uses as one). */
export type ForgeKey = KeyObject | Buffer;

/**
 * Signature bytes for `alg` over the exact signing input (taken as latin1, so malformed segments are signed as given).
 * Any `alg` outside RS/PS/ES/HS/EdDSA yields 32 random-looking bytes, for `none`-style tokens.
 */
export function signInput(alg: string, key: ForgeKey, input: string): Buffer {
  const data = Buffer.from(input, 'latin1');
  if (/^HS(256|384|512)$/.test(alg))
    return createHmac(`sha${alg.slice(2)}`, key)
      .update(data)
      .digest();
  if (Buffer.isBuffer(key)) throw new TypeError(`${alg} needs a private KeyObject`);
  if (alg === 'EdDSA') return sign(null, data, key);
  const hash = `sha${alg.slice(2)}`;
  if (/^PS(256|384|512)$/.test(alg))
    return sign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  if (/^ES(256|384|512)$/.test(alg)) return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  if (/^RS(256|384|512)$/.test(alg)) return sign(hash, data, key);
  return createHmac('sha256', 'unsigned').update(data).digest();
}

/** `<header>.<payload>.<signature>`: segments given as strings are used verbatim, objects are JSON + base64url. */
export function forge(alg: string, key: ForgeKey, header: string | object, payload: string | object): string {
  const input = `${typeof header === 'string' ? header : b64u(header)}.${typeof payload === 'string' ? payload : b64u(payload)}`;
  return `${input}.${signInput(alg, key, input).toString('base64url')}`;
}

/** A small seeded PRNG (mulberry32): runs are reproducible from the seed alone. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}
