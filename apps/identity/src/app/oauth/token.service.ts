import { Injectable, Logger } from '@nestjs/common';
import { GRANT_TYPES, GrantType, RegisteredClient } from '../directory/directory';
import { AccessTokenSigner } from '../tokens/access-token.signer';
import { OidcTokenSigner } from '../tokens/oidc-token.signer';
import { AuthorizationCodeStore } from '../tokens/authorization-code.store';
import { RefreshGrant, RefreshTokenStore } from '../tokens/refresh-token.store';
import { ClientAuthenticator } from './client-authenticator';
import { assertGrantAllowed, grantAudiences, grantScopes } from './grant-rules';
import { OAuthError } from './oauth.errors';
import { verifiesS256 } from './pkce';
import { RequestParams } from './request-params';
import { formatScope } from './scopes';

/** A successful token response (RFC 6749 section 5.1). */
export interface TokenResponse {
  /** The JWT access token. */
  readonly access_token: string;
  /** Always `Bearer`. */
  readonly token_type: 'Bearer';
  /** Access token lifetime in seconds. */
  readonly expires_in: number;
  /** Granted scopes. */
  readonly scope: string;
  /** Successor refresh token, for grants that have one. */
  readonly refresh_token?: string;
  /** OpenID Connect ID token, for an authorization code granted with the `openid` scope. */
  readonly id_token?: string;
}

interface Issuance {
  readonly client: RegisteredClient;
  readonly grantType: GrantType;
  readonly sub: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly refresh?: { readonly grant: RefreshGrant; readonly familyId?: string };
}

function isGrantType(value: string): value is GrantType {
  return (GRANT_TYPES as readonly string[]).includes(value);
}

/** Serves the token endpoint: client_credentials, authorization_code with PKCE, refresh_token with rotation. */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly signer: AccessTokenSigner,
    private readonly codes: AuthorizationCodeStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly oidcTokens: OidcTokenSigner,
  ) {}

  /** Answers one token request; throws {@link OAuthError} for every refusal. */
  async exchange(params: RequestParams, authorization: string | undefined): Promise<TokenResponse> {
    const grantType = params.required('grant_type');
    const client = await this.clients.authenticate(authorization, params);
    if (!isGrantType(grantType)) throw new OAuthError('unsupported_grant_type', 'grant_type is not supported');
    assertGrantAllowed(client, grantType);
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials(client, params);
      case 'authorization_code':
        return this.authorizationCode(client, params);
      case 'refresh_token':
        return this.refreshToken(client, params);
    }
  }

  private clientCredentials(client: RegisteredClient, params: RequestParams): TokenResponse {
    const { response } = this.issue({
      client,
      grantType: 'client_credentials',
      sub: client.clientId,
      scopes: grantScopes(params.one('scope'), client.scopes),
      audiences: grantAudiences(params, client.audiences),
    });
    return response;
  }

  private authorizationCode(client: RegisteredClient, params: RequestParams): TokenResponse {
    const code = params.required('code');
    const redirectUri = params.required('redirect_uri');
    const verifier = params.required('code_verifier');
    const redemption = this.codes.redeem(code);
    if (redemption.kind === 'reused') {
      if (redemption.refreshFamilyId) this.refreshTokens.revokeFamily(redemption.refreshFamilyId);
      this.logger.warn(`authorization code replayed: revoked tokens issued from it (client_id=${client.clientId})`);
      throw new OAuthError('invalid_grant', 'authorization code was already used');
    }
    if (redemption.kind === 'invalid')
      throw new OAuthError('invalid_grant', 'authorization code is invalid or expired');
    const { grant, codeId } = redemption;
    if (grant.clientId !== client.clientId)
      throw new OAuthError('invalid_grant', 'authorization code was issued to another client');
    if (grant.redirectUri !== redirectUri)
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (!verifiesS256(verifier, grant.codeChallenge)) throw new OAuthError('invalid_grant', 'PKCE verification failed');
    const { response, familyId } = this.issue({
      client,
      grantType: 'authorization_code',
      sub: grant.sub,
      scopes: grant.scopes,
      audiences: grantAudiences(params, grant.audiences),
      refresh: client.grantTypes.includes('refresh_token')
        ? {
            grant: {
              clientId: client.clientId,
              sub: grant.sub,
              scopes: grant.scopes,
              audiences: grant.audiences,
              sid: grant.sid,
            },
          }
        : undefined,
    });
    if (familyId) this.codes.linkRefreshFamily(codeId, familyId);
    if (!grant.scopes.includes('openid') || grant.authTime === undefined || grant.sid === undefined) return response;
    const idToken = this.oidcTokens.signIdToken({
      clientId: client.clientId,
      alg: client.idTokenAlg,
      sub: grant.sub,
      authTime: grant.authTime,
      sid: grant.sid,
      nonce: grant.nonce,
      accessToken: response.access_token,
    });
    return { ...response, id_token: idToken };
  }

  private refreshToken(client: RegisteredClient, params: RequestParams): TokenResponse {
    const { checked, grant, familyId } = this.refreshTokens.use(
      params.required('refresh_token'),
      client.clientId,
      (original) => ({
        // RFC 6749 section 6: a narrower scope applies to this access token; the successor keeps the original grant.
        scopes: grantScopes(params.one('scope'), original.scopes),
        audiences: grantAudiences(params, original.audiences),
      }),
    );
    const { response } = this.issue({
      client,
      grantType: 'refresh_token',
      sub: grant.sub,
      scopes: checked.scopes,
      audiences: checked.audiences,
      refresh: { grant, familyId },
    });
    return response;
  }

  private issue(issuance: Issuance): { response: TokenResponse; familyId?: string } {
    const { client, sub, scopes, audiences } = issuance;
    const accessToken = this.signer.sign({ alg: client.alg, clientId: client.clientId, sub, scopes, audiences });
    const refresh = issuance.refresh && this.refreshTokens.issue(issuance.refresh.grant, issuance.refresh.familyId);
    this.logger.log(
      `issued access token grant=${issuance.grantType} client_id=${client.clientId} sub=${sub} ` +
        `kid=${accessToken.kid} jti=${accessToken.jti}${refresh ? ' with refresh token' : ''}`,
    );
    const response: TokenResponse = {
      access_token: accessToken.token,
      token_type: 'Bearer',
      expires_in: accessToken.expiresIn,
      scope: formatScope(scopes),
      ...(refresh && { refresh_token: refresh.token }),
    };
    return { response, familyId: refresh?.familyId };
  }
}
