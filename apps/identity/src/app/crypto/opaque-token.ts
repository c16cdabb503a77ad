import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh unguessable base64url string carrying `bytes` bytes of randomness (256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The SHA-256 digest of `value` as base64url: the form in which opaque tokens are stored and looked up. */
export function tokenDigest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Constant-time equality of two strings of any length (both are hashed first, so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
