import { AuthError, AuthErrorCode } from '../errors/auth.errors';

/** Header `typ` policy: see `TokenTypePolicy` in the verifier options. */
export type TokenTypeMode = 'access-token-or-jwt' | 'strict';

function mediaType(typ: string): string {
  // RFC 7515 4.1.9: "application/" may be omitted; media types compare case-insensitively.
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/**
 * Enforce the `typ` policy. Both modes refuse explicit non-access-token types (`id_token+jwt`, `dpop+jwt`,
 * `secevent+jwt`, `logout+jwt`, ...) so that a token minted for another purpose by the same issuer is not replayed
 * as an access token (RFC 8725 section 3.11); `strict` accepts only `at+jwt` (RFC 9068 section 2.1).
 * @throws AuthError `type_invalid`
 */
export function checkTokenType(typ: string | undefined, mode: TokenTypeMode, issuer?: string): void {
  if (typ === undefined) {
    if (mode === 'strict')
      throw new AuthError(AuthErrorCode.TYPE_INVALID, 'token has no "typ"; "at+jwt" is required', { issuer });
    return;
  }
  const type = mediaType(typ);
  if (type === 'at+jwt') return;
  if (mode === 'access-token-or-jwt' && type === 'jwt') return;
  throw new AuthError(AuthErrorCode.TYPE_INVALID, 'token type is not an access token', { issuer });
}
