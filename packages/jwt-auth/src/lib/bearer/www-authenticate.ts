import { AuthErrorCode, type AuthError } from '../errors/auth.errors';

const MAX_DESCRIPTION = 200;

// RFC 6750 section 3: error_description and scope are limited to these characters inside the quotes.
function quotedValue(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ').slice(0, MAX_DESCRIPTION);
}

/**
 * The RFC 6750 `WWW-Authenticate` challenge for an error: no `error` attribute when no token was presented,
 * `scope` with the required scopes for `insufficient_scope`.
 * @example formatWwwAuthenticate(error, 'api') // Bearer realm="api", error="invalid_token", error_description="..."
 */
export function formatWwwAuthenticate(error: AuthError, realm?: string): string {
  const params: string[] = [];
  if (realm !== undefined) params.push(`realm="${quotedValue(realm)}"`);
  if (error.bearerError !== undefined) {
    params.push(`error="${error.bearerError}"`, `error_description="${quotedValue(error.message)}"`);
    const scopes = error.details.requiredScopes;
    if (error.code === AuthErrorCode.INSUFFICIENT_SCOPE && scopes && scopes.length > 0) {
      params.push(`scope="${quotedValue(scopes.join(' '))}"`);
    }
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}
