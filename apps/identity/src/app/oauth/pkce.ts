import { createHash } from 'node:crypto';
import { safeEqual } from '../crypto/opaque-token';

// RFC 7636 section 4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
// An S256 challenge is the base64url SHA-256 of the verifier: always exactly 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** True when `value` is syntactically a PKCE code verifier. */
export function isCodeVerifier(value: string): boolean {
  return VERIFIER.test(value);
}

/** True when `value` can be an S256 code challenge. */
export function isS256Challenge(value: string): boolean {
  return S256_CHALLENGE.test(value);
}

/** The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** True when `verifier` is well-formed and hashes to `challenge`, compared in constant time. */
export function verifiesS256(verifier: string, challenge: string): boolean {
  return isCodeVerifier(verifier) && safeEqual(s256Challenge(verifier), challenge);
}
