import type { KeyObject } from 'node:crypto';
import { logSafe } from '../errors/log-safe';
import { KeyRejectedError } from './key-rejected.error';

// Little-endian y coordinates (sign bit cleared) of every point of small order, canonical and non-canonical
// (y >= p). Under such a key a fixed signature verifies for many or all messages, since OpenSSL checks
// [S]B = R + [k]A without rejecting a small-order A (RFC 8032 leaves it to the application).
const P25519 = (1n << 255n) - 19n;
const P448 = (1n << 448n) - (1n << 224n) - 1n;

function leToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

const ED25519_ORDER8_Y = [
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
].map((hex) => leToBigInt(Buffer.from(hex, 'hex')));

/** y of the identity (1), of the point of order 2 (p - 1), of the points of order 4 (0), of order 8, and y + p. */
const SMALL_ORDER_Y: Readonly<Record<'ed25519' | 'ed448', ReadonlySet<bigint>>> = {
  ed25519: new Set([0n, 1n, P25519 - 1n, P25519, P25519 + 1n, ...ED25519_ORDER8_Y]),
  // Ed448 has cofactor 4: the identity, (0, -1) and (+-1, 0).
  ed448: new Set([0n, 1n, P448 - 1n, P448, P448 + 1n]),
};

const OKP_LENGTH = { ed25519: 32, ed448: 57 } as const;

/** Short Weierstrass parameters (a = -3) of the NIST curves JWS uses. */
const CURVES: Readonly<Record<string, { readonly p: bigint; readonly b: bigint }>> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  'P-521': {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function jwkCoordinate(jwk: Record<string, unknown>, member: string): bigint {
  const value = jwk[member];
  if (typeof value !== 'string') throw new KeyRejectedError('the public point cannot be read');
  const bytes = Buffer.from(value, 'base64url');
  return BigInt(`0x${bytes.toString('hex') || '0'}`);
}

function assertEcPoint(key: KeyObject): void {
  // Order matters: node:crypto aborts the process (C++ assertion) or segfaults when asked for the details of, or to
  // verify with, an EC key holding the point at infinity, which SPKI / PEM / certificates can encode. Its SPKI export
  // throws a catchable error instead, so that is asked first.
  try {
    key.export({ type: 'spki', format: 'der' });
  } catch {
    throw new KeyRejectedError('EC public key is the point at infinity or not encodable');
  }
  let jwk: Record<string, unknown>;
  try {
    jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
  } catch {
    throw new KeyRejectedError('EC public key is not on a supported named curve');
  }
  const curve = typeof jwk['crv'] === 'string' ? CURVES[jwk['crv']] : undefined;
  if (!curve) throw new KeyRejectedError(`EC curve ${logSafe(jwk['crv'], 16)} is not supported`);
  const { p, b } = curve;
  const x = jwkCoordinate(jwk, 'x');
  const y = jwkCoordinate(jwk, 'y');
  // node:crypto checks this on import; checked again here so no input path (JWK, SPKI, certificate) depends on it.
  if (x >= p || y >= p || (y * y - (modPow(x, 3n, p) - 3n * x + b)) % p !== 0n) {
    throw new KeyRejectedError('EC public key is not a point on its curve');
  }
}

function assertOkpPoint(key: KeyObject, type: 'ed25519' | 'ed448'): void {
  let raw: Buffer;
  try {
    const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
    raw = Buffer.from(String(jwk['x']), 'base64url');
  } catch {
    throw new KeyRejectedError(`${type === 'ed25519' ? 'Ed25519' : 'Ed448'} public key cannot be read`);
  }
  const length = OKP_LENGTH[type];
  if (raw.length !== length) throw new KeyRejectedError('EdDSA public key has the wrong length');
  const y = Buffer.from(raw);
  // The top bit is the sign of x; a small-order y is weak with either sign. Ed448 keeps the sign in a last octet
  // whose other bits must be zero (RFC 8032 section 5.2.3).
  if (type === 'ed448') {
    if ((y[length - 1] & 0x7f) !== 0) throw new KeyRejectedError('Ed448 public key is not a valid encoding');
    y[length - 1] = 0;
  } else {
    y[length - 1] &= 0x7f;
  }
  if (SMALL_ORDER_Y[type].has(leToBigInt(y))) {
    throw new KeyRejectedError('EdDSA public key is a point of small order (a fixed signature would verify)');
  }
}

/**
 * Refuse public keys that are shapes without substance: an Ed25519 / Ed448 point of small order (any encoding), or an
 * EC point that is the identity or off its named curve. Called for every asymmetric key before anything else reads it.
 * @throws KeyRejectedError
 */
export function assertUsablePublicPoint(key: KeyObject): void {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return assertEcPoint(key);
    case 'ed25519':
    case 'ed448':
      return assertOkpPoint(key, key.asymmetricKeyType);
    default:
      return;
  }
}
