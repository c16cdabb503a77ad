import type { AuthErrorCode } from '../errors/auth.errors';

/**
 * Receives the outcome of every verification, for metrics. Called synchronously on the hot path, so an
 * implementation records numbers and returns; it must not throw (a throw is swallowed). Only configured issuer names
 * and error codes are passed: nothing from the token itself.
 */
export interface VerificationObserver {
  /** A token was accepted by `issuer` (a configured issuer); `fromCache` when the verified-token cache answered. */
  accepted(issuer: string, durationMs: number, fromCache: boolean): void;
  /** A token was refused with `code`; `issuer` is the configured issuer it named, `undefined` when it named none. */
  rejected(code: AuthErrorCode, issuer: string | undefined, durationMs: number): void;
}

/** Counters of the verified-token cache, for metrics. */
export interface VerifiedTokenCacheStats {
  /** Configured capacity; `0` when the cache is off. */
  readonly capacity: number;
  /** Entries held now. */
  readonly size: number;
  /** Entries dropped to make room since the verifier was created. */
  readonly evictions: number;
}
