import type { KeyObject } from 'node:crypto';
import { isSupportedAlgorithm } from '../../src';
import { signJwsInput } from '../../src/testing';

/** Test-only JWS forging: sign arbitrary (even malformed) segments, so a test controls every byte of a token. */

/** base64url of a string (UTF-8), bytes, or a value (JSON-encoded). */
export function b64u(value: string | Buffer | object): string {
  return Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** A signing key: a private `KeyObject`, or HMAC key bytes (a secret, or anything an attacker uses as one). */
export type ForgeKey = KeyObject | Buffer;

// Placeholder signature bytes for an `alg` outside the table (`none`-style tokens): 32 bytes that depend on the input.
const PLACEHOLDER_KEY = Buffer.from('unsigned');

/**
 * Signature bytes for `alg` over the exact signing input (each char taken as one byte, so malformed segments are signed
 * as given), by the testing kit's signer. Any `alg` outside RS/PS/ES/HS/EdDSA yields 32 placeholder bytes.
 */
export function signInput(alg: string, key: ForgeKey, input: string): Buffer {
  return isSupportedAlgorithm(alg) ? signJwsInput(alg, key, input) : signJwsInput('HS256', PLACEHOLDER_KEY, input);
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
