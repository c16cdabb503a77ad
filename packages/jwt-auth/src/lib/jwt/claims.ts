import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { JsonObject } from '../json/strict-json';

/** Largest accepted NumericDate: 9999-12-31T23:59:59Z (SECURITY.md "Claims"). */
export const MAX_NUMERIC_DATE = 253402300799;

/** Claim rules for one issuer, all times in seconds. */
export interface ClaimPolicy {
  /** Exact expected `iss`. */
  readonly issuer: string;
  /** Accepted audiences. */
  readonly audiences: ReadonlySet<string>;
  /** The same audiences as a list, for the linear check of a few. */
  readonly audienceList: readonly string[];
  /** Clock tolerance in seconds. */
  readonly clockTolerance: number;
  /** Maximum token age in seconds (from `iat`), if set. */
  readonly maxTokenAge?: number;
  /** Claims that must be present and not null. */
  readonly requiredClaims: readonly string[];
  /**
   * Claims that must be non-empty strings: `sub` by default (RFC 9068 section 2.2), plus `client_id` and `jti` under
   * the RFC 9068 profile.
   */
  readonly requiredStrings: readonly string[];
  /** `iat` must be present (the RFC 9068 profile). */
  readonly requireIssuedAt: boolean;
}

function invalid(message: string, issuer?: string): AuthError {
  return new AuthError(AuthErrorCode.CLAIM_INVALID, message, { issuer });
}

function numericDate(claims: JsonObject, name: 'exp' | 'nbf' | 'iat', issuer: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  // Strings, null, Infinity (from 1e400), negatives and dates past year 9999 are all refused, not coerced.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE) {
    throw invalid(`"${name}" must be a NumericDate between 0 and ${MAX_NUMERIC_DATE}`, issuer);
  }
  return value;
}

function optionalString(claims: JsonObject, name: string, issuer: string): void {
  const value = claims[name];
  if (value !== undefined && typeof value !== 'string') throw invalid(`"${name}" must be a string`, issuer);
}

/**
 * The `aud` claim as a list (a fresh one for a string, the claim itself for an array), or a thrown `claim_invalid`
 * when it is neither a string nor an array of strings.
 */
export function audienceList(claims: JsonObject, issuer: string): readonly string[] {
  const aud = claims['aud'];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string')) return aud as string[];
  if (aud === undefined) throw new AuthError(AuthErrorCode.AUDIENCE_INVALID, 'token has no "aud"', { issuer });
  throw new AuthError(AuthErrorCode.AUDIENCE_INVALID, '"aud" must be a string or a non-empty array of strings', {
    issuer,
  });
}

// Services accept one audience or a few: comparing strings then beats hashing each fresh `aud` string for a lookup.
const LINEAR_AUDIENCES = 4;

function acceptsAudience(audience: readonly string[], policy: ClaimPolicy): boolean {
  const list = policy.audienceList;
  if (list.length > LINEAR_AUDIENCES) return audience.some((a) => policy.audiences.has(a));
  for (let i = 0; i < audience.length; i++)
    for (let j = 0; j < list.length; j++) if (audience[i] === list[j]) return true;
  return false;
}

/**
 * The time-based checks of {@link validateClaims} alone: `exp` required and not past, `nbf` and `iat` not in the
 * future, the optional maximum age; each a finite NumericDate. This is all that can change while a verified token is
 * cached, and a cache hit runs it on every request, so it allocates nothing (decision 006).
 * @param now current time in seconds
 * @returns `exp`
 * @throws AuthError
 */
export function validateTimeClaims(claims: JsonObject, policy: ClaimPolicy, now: number): number {
  const { issuer, clockTolerance } = policy;
  const exp = numericDate(claims, 'exp', issuer);
  const nbf = numericDate(claims, 'nbf', issuer);
  const iat = numericDate(claims, 'iat', issuer);
  if (exp === undefined) throw invalid('token has no "exp"', issuer);
  if (exp <= now - clockTolerance) throw new AuthError(AuthErrorCode.TOKEN_EXPIRED, 'token has expired', { issuer });
  if (nbf !== undefined && nbf > now + clockTolerance)
    throw new AuthError(AuthErrorCode.TOKEN_NOT_YET_VALID, 'token is not valid yet', { issuer });
  if (iat === undefined && policy.requireIssuedAt) throw invalid('token has no "iat"', issuer);
  if (iat !== undefined && iat > now + clockTolerance)
    throw new AuthError(AuthErrorCode.TOKEN_AGE_INVALID, 'token was issued in the future', { issuer });
  if (policy.maxTokenAge !== undefined) {
    if (iat === undefined) throw invalid('token has no "iat" but a maximum age is enforced', issuer);
    if (now - iat > policy.maxTokenAge + clockTolerance)
      throw new AuthError(AuthErrorCode.TOKEN_AGE_INVALID, 'token is too old', { issuer });
  }
  return exp;
}

/**
 * Validate the registered claims of a verified payload (RFC 7519 section 4.1, RFC 9068 section 4):
 * `iss` exact; `aud` required, any-of, exact; `exp` required; `exp`/`nbf`/`iat` finite NumericDates;
 * `iat` not in the future; `sub` a non-empty string unless turned off; the RFC 9068 profile's `client_id`, `iat`, `jti`;
 * optional maximum age and required claims.
 * @param now current time in seconds
 * @returns the `aud` list and `exp`
 * @throws AuthError
 */
export function validateClaims(
  claims: JsonObject,
  policy: ClaimPolicy,
  now: number,
): { audience: readonly string[]; exp: number } {
  const issuer = policy.issuer;
  if (claims['iss'] !== issuer) throw new AuthError(AuthErrorCode.ISSUER_INVALID, 'token issuer is not trusted');
  const exp = validateTimeClaims(claims, policy, now);

  const audience = audienceList(claims, issuer);
  if (!acceptsAudience(audience, policy)) {
    throw new AuthError(AuthErrorCode.AUDIENCE_INVALID, 'token audience is not accepted', { issuer });
  }

  optionalString(claims, 'sub', issuer);
  optionalString(claims, 'client_id', issuer);
  optionalString(claims, 'jti', issuer);
  // An application keying data by `sub` must never see two callers share an absent (or empty) subject.
  for (let i = 0; i < policy.requiredStrings.length; i++) {
    const name = policy.requiredStrings[i];
    if (claims[name] === undefined || claims[name] === '') throw invalid(`token has no "${name}"`, issuer);
  }
  for (const name of policy.requiredClaims) {
    if (claims[name] === undefined || claims[name] === null) throw invalid(`token has no "${name}"`, issuer);
  }
  return { audience, exp };
}
