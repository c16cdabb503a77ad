import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { JsonObject } from '../json/strict-json';

/**
 * Where an issuer puts granted scopes: `scope` (RFC 8693/9068, space-separated), `scp` (string or array, as Okta and
 * Microsoft Entra ID send) or `both` (the union of the two, for an issuer that sends either).
 */
export type ScopeClaim = 'scope' | 'scp' | 'both';

const NO_SCOPES: readonly string[] = Object.freeze([]);

// RFC 6749 section 3.3: scopes are separated by U+0020 only; tabs, NBSP and other spaces stay part of a scope.
const SPACE = ' ';

function splitScopes(value: string): readonly string[] {
  return Object.freeze(value.split(SPACE).filter((scope) => scope.length > 0));
}

// The granted scopes in `claims[claim]`; a string is split by `reader` when one is given.
function readScopes(claims: JsonObject, claim: ScopeClaim, reader: ScopeReader | undefined): readonly string[] {
  if (claim === 'both') return readEitherScopes(claims, reader);
  const value = claims[claim];
  if (value === undefined) return NO_SCOPES;
  if (typeof value === 'string') return reader === undefined ? splitScopes(value) : reader.split(value);
  if (claim === 'scp' && Array.isArray(value) && value.every((s) => typeof s === 'string')) {
    return Object.freeze((value as string[]).filter((scope) => scope.length > 0));
  }
  throw new AuthError(AuthErrorCode.CLAIM_INVALID, `"${claim}" has the wrong type`);
}

// Both claims are read with their own rules (a wrong type in either is still claim_invalid) and united.
function readEitherScopes(claims: JsonObject, reader: ScopeReader | undefined): readonly string[] {
  const scope = readScopes(claims, 'scope', reader);
  const scp = readScopes(claims, 'scp', reader);
  if (scp.length === 0) return scope;
  if (scope.length === 0) return scp;
  return Object.freeze([...new Set([...scope, ...scp])]);
}

/**
 * Read granted scopes, as a frozen list, from the configured claim. An absent claim grants nothing; a claim of the
 * wrong type is a `claim_invalid` error, not an empty grant, so a misissued token is noticed.
 */
export function extractScopes(claims: JsonObject, claim: ScopeClaim): readonly string[] {
  return readScopes(claims, claim, undefined);
}

// Tokens of one client carry the same scope string over and over; its split is kept, frozen, in a bounded map.
const SPLIT_CACHE_LIMIT = 256;
const MAX_CACHED_SCOPE_LENGTH = 1024;

/**
 * {@link extractScopes} for one owner (a verifier), remembering the splits of the scope strings it saw: the same
 * frozen list for the same string, without splitting it again. The cache belongs to its owner and is never shared.
 */
export class ScopeReader {
  private readonly splits = new Map<string, readonly string[]>();
  // The last scope string and its split: compared with ===, which for a fresh string of another token is a length
  // check and a memcmp, where a Map lookup would first hash it.
  private lastValue = '';
  private lastScopes: readonly string[] = NO_SCOPES;

  /**
   * Read granted scopes as {@link extractScopes} does.
   * @throws AuthError `claim_invalid`
   */
  extract(claims: JsonObject, claim: ScopeClaim): readonly string[] {
    return readScopes(claims, claim, this);
  }

  /** The frozen split of a `scope` string on U+0020, from the cache when this reader split it before. */
  split(value: string): readonly string[] {
    if (value === this.lastValue) return this.lastScopes;
    let scopes = this.splits.get(value);
    if (scopes === undefined) {
      scopes = splitScopes(value);
      if (value.length <= MAX_CACHED_SCOPE_LENGTH) {
        if (this.splits.size >= SPLIT_CACHE_LIMIT) this.splits.clear();
        this.splits.set(value, scopes);
      }
    }
    this.lastValue = value;
    this.lastScopes = scopes;
    return scopes;
  }
}

/** True when every required scope is granted (exact, case-sensitive match). */
export function hasAllScopes(granted: readonly string[], required: readonly string[]): boolean {
  return required.every((scope) => granted.includes(scope));
}

/** True when at least one required scope is granted; an empty requirement is satisfied. */
export function hasAnyScope(granted: readonly string[], required: readonly string[]): boolean {
  return required.length === 0 || required.some((scope) => granted.includes(scope));
}

/** A scope requirement: all of `all` and at least one of `any`. */
export interface ScopeRequirement {
  readonly all?: readonly string[];
  readonly any?: readonly string[];
}

/**
 * Throw `insufficient_scope` (403) unless `granted` meets the requirement.
 * @throws AuthError
 */
export function assertScopes(principal: { readonly scopes: readonly string[] }, requirement: ScopeRequirement): void {
  const all = requirement.all ?? [];
  const any = requirement.any ?? [];
  if (!hasAllScopes(principal.scopes, all)) {
    throw new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, 'token lacks a required scope', { requiredScopes: all });
  }
  if (!hasAnyScope(principal.scopes, any)) {
    throw new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, 'token lacks every accepted scope', { requiredScopes: any });
  }
}
