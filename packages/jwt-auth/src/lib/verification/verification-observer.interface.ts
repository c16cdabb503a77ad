import type { AuthErrorCode } from '../errors/auth.errors';

/**
 * Receives the outcome of every verification, for metrics. Called synchronously on the hot path, so an
 * implementation records numbers and returns; it must not throw (a throw is swallowed). Only configured issuer names
 * and error codes are passed: nothing from the token itself.
 */
export interface VerificationObserver {
  /** The verified-token cache answered for `issuer` (a configured issuer); not timed, to keep hits cheap. */
  cacheHit(issuer: string): void;
  /** A token took the full verification and was accepted by `issuer` (a configured issuer). */
  verified(issuer: string, durationMs: number): void;
  /** A token was refused with `code`; `issuer` is the configured issuer it named, `undefined` when it named none. */
  rejected(code: AuthErrorCode, issuer: string | undefined, durationMs: number): void;
}
