import { RegisteredClient } from '../directory/directory';
import { OAuthError } from './oauth.errors';
import { RequestParams } from './request-params';
import { parseScope, scopesNotAllowed } from './scopes';

/**
 * The scopes to grant: the requested ones when every one is allowed, all `allowed` ones when none
 * were requested (the default RFC 6749 section 3.3 lets the server pick), else `invalid_scope`.
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): readonly string[] {
  if (requested === undefined) return allowed;
  const scopes = parseScope(requested);
  if (!scopes) throw new OAuthError('invalid_scope', 'scope must be space-separated RFC 6749 scope tokens');
  const refused = scopesNotAllowed(scopes, allowed);
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not allowed: ${refused.join(' ')}`);
  return scopes;
}

/**
 * The audiences to put in `aud`: those named by RFC 8707 `resource` (or `audience`) parameters when each is
 * in `allowed`, all of `allowed` when none is named, else `invalid_target`.
 */
export function grantAudiences(params: RequestParams, allowed: readonly string[]): readonly string[] {
  const requested = [...new Set([...params.all('resource'), ...params.all('audience')])];
  if (requested.length === 0) return allowed;
  const permitted = new Set(allowed);
  const refused = requested.filter((audience) => !permitted.has(audience));
  if (refused.length > 0) {
    const shown = refused.map((audience) => (audience.length > 100 ? `${audience.slice(0, 100)}...` : audience));
    throw new OAuthError('invalid_target', `audience not allowed for this client: ${shown.join(' ')}`);
  }
  return requested;
}

/** Refuses a grant type the client is not registered for (`unauthorized_client`). */
export function assertGrantAllowed(client: RegisteredClient, grantType: RegisteredClient['grantTypes'][number]): void {
  if (!client.grantTypes.includes(grantType)) {
    throw new OAuthError('unauthorized_client', `client is not allowed to use ${grantType}`);
  }
}
