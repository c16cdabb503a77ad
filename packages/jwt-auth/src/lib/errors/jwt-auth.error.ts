/**
 * The one base of every error this package throws: match on `instanceof JwtAuthError` and on its stable `code`, which
 * is never renamed. Subclasses say what failed (an authentication, the configuration, a key, a token request, a relay).
 */
export abstract class JwtAuthError extends Error {
  /** Stable machine-readable code, e.g. `token_expired`, `config_invalid`, `key_rejected`. */
  abstract readonly code: string;
}

/** True when `value` is any error thrown by this package. */
export function isJwtAuthError(value: unknown): value is JwtAuthError {
  return value instanceof JwtAuthError;
}
