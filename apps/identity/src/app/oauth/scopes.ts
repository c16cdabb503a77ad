// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** True when `value` is a single RFC 6749 scope-token. */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/** Splits a `scope` parameter on U+0020 into distinct tokens; `undefined` when its syntax is invalid. */
export function parseScope(value: string): string[] | undefined {
  const tokens = value.split(' ');
  if (!tokens.every(isScopeToken)) return undefined;
  return [...new Set(tokens)];
}

/** The scopes of `requested` that are not in `allowed` (exact, case-sensitive token match). */
export function scopesNotAllowed(requested: readonly string[], allowed: readonly string[]): string[] {
  const permitted = new Set(allowed);
  return requested.filter((scope) => !permitted.has(scope));
}

/** Joins scopes into a `scope` parameter or claim value. */
export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}
