import { isLoopbackHostname } from '@nest-sso/sso-config';
import * as oidc from 'openid-client';
import type { WebAppConfig } from './web-app.config';

/** The identity provider could not be reached or answered unusably: pages show "identity is unavailable" (503). */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

/** The provider refused a grant (expired or revoked refresh token, bad code): the person has to sign in again. */
export class GrantRefusedError extends Error {
  override readonly name = 'GrantRefusedError';
}

/** Tokens from a successful code exchange or refresh. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  /** Verified ID token claims (code exchange only). */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** Lifetime of the access token in seconds. */
  readonly expiresIn: number;
  readonly scope: string | undefined;
}

/** What the callback must match: the values of the sign-in transaction. */
export interface CallbackChecks {
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

const REQUEST_TIMEOUT_SECONDS = 5;

// openid-client's allowInsecureRequests admits plain http for every URL of the configuration, not only the issuer's;
// the metadata's endpoints are held to the rule the issuer is held to: http on a loopback host only.
function insecureEndpoint(metadata: oidc.ServerMetadata): string | undefined {
  for (const [name, value] of Object.entries(metadata)) {
    if (typeof value !== 'string' || !(name.endsWith('_endpoint') || name === 'jwks_uri')) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) return `${name} "${value}"`;
  }
  return undefined;
}

// A refusal by the provider (an OAuth error answer) or a failed check of what it sent (state, nonce, iss, signature)
// ends the sign-in; no answer, a timeout or a 5xx means the provider is unavailable.
function isProtocolRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof oidc.ResponseBodyError) return error.status < 500;
  if (error.name === 'TypeError' || error.name === 'AbortError' || error.name === 'TimeoutError') return false;
  const code = (error as { code?: unknown }).code;
  return code !== 'OAUTH_RESPONSE_IS_NOT_CONFORM' && code !== 'OAUTH_RESPONSE_IS_NOT_JSON';
}

/**
 * The relying party side of OpenID Connect, through `openid-client` (the certified RP library): discovery (lazy,
 * retried on the next request after a failure), authorization code + PKCE + nonce, refresh, userinfo and the
 * end-session URL. A confidential client authenticating with `client_secret_basic`.
 */
export class RelyingParty {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly config: WebAppConfig) {}

  /** The provider's configuration, discovered once; a failed discovery is retried on the next call. */
  async provider(): Promise<oidc.Configuration> {
    if (!this.configuration) {
      const { issuer, clientSecret } = this.config;
      if (issuer === undefined || clientSecret === undefined) {
        throw new ProviderUnavailableError(`sign-in is not configured: set ${this.config.signInMissing.join(', ')}`);
      }
      const options: oidc.DiscoveryRequestOptions = { timeout: REQUEST_TIMEOUT_SECONDS };
      // openid-client refuses http: issuers unless told otherwise; the config admits that only for loopback hosts.
      if (this.config.allowInsecureHttp) options.execute = [oidc.allowInsecureRequests];
      this.configuration = oidc
        .discovery(
          new URL(issuer),
          this.config.clientId,
          { id_token_signed_response_alg: this.config.idTokenAlg },
          oidc.ClientSecretBasic(clientSecret),
          options,
        )
        .then((configuration) => {
          const metadata = configuration.serverMetadata();
          const insecure = this.config.allowInsecureHttp && insecureEndpoint(metadata);
          if (insecure) throw new Error(`${insecure} is plain http outside loopback`);
          const algs = metadata.id_token_signing_alg_values_supported;
          // Discovery may omit the list (OpenID Connect Discovery makes it REQUIRED, but openid-client tolerates it).
          if (algs !== undefined && !algs.includes(this.config.idTokenAlg)) {
            throw new Error(
              `the provider does not sign ID tokens with ${this.config.idTokenAlg} (OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG); ` +
                `its id_token_signing_alg_values_supported: ${algs.join(', ')}`,
            );
          }
          return configuration;
        })
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw new ProviderUnavailableError(`discovery failed: ${(error as Error).message}`);
        });
    }
    return this.configuration;
  }

  /** The authorization URL for a new sign-in: code flow, S256 PKCE, state and nonce. */
  async authorizationUrl(redirectUri: string, checks: CallbackChecks): Promise<URL> {
    const provider = await this.provider();
    return oidc.buildAuthorizationUrl(provider, {
      redirect_uri: redirectUri,
      scope: this.config.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
  }

  /** Exchanges the code in the callback URL, checking state, `iss`, PKCE and the ID token (signature, nonce, ...). */
  async callback(currentUrl: URL, checks: CallbackChecks): Promise<TokenSet> {
    const provider = await this.provider();
    try {
      const response = await oidc.authorizationCodeGrant(provider, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      return {
        accessToken: response.access_token,
        refreshToken: response.refresh_token,
        idToken: response.id_token,
        claims: response.claims(),
        expiresIn: response.expiresIn() ?? 0,
        scope: response.scope,
      };
    } catch (error) {
      if (isProtocolRefusal(error)) throw new GrantRefusedError((error as Error).message);
      throw new ProviderUnavailableError(`token request failed: ${(error as Error).message}`);
    }
  }

  /** Refreshes the access token. */
  async refresh(refreshToken: string): Promise<TokenSet> {
    const provider = await this.provider();
    try {
      const response = await oidc.refreshTokenGrant(provider, refreshToken);
      return {
        accessToken: response.access_token,
        refreshToken: response.refresh_token ?? refreshToken,
        idToken: response.id_token,
        claims: undefined,
        expiresIn: response.expiresIn() ?? 0,
        scope: response.scope,
      };
    } catch (error) {
      if (isProtocolRefusal(error)) throw new GrantRefusedError((error as Error).message);
      throw new ProviderUnavailableError(`refresh failed: ${(error as Error).message}`);
    }
  }

  /** The person's claims from the userinfo endpoint; `undefined` when it cannot be had (the page falls back to `sub`). */
  async userinfo(accessToken: string, sub: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await oidc.fetchUserInfo(await this.provider(), accessToken, sub);
    } catch {
      return undefined;
    }
  }

  /** The provider's end-session URL with the ID token as hint and a registered post-logout redirect. */
  async endSessionUrl(idToken: string, postLogoutRedirectUri: string): Promise<URL | undefined> {
    try {
      const provider = await this.provider();
      if (!provider.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(provider, {
        id_token_hint: idToken,
        post_logout_redirect_uri: postLogoutRedirectUri,
      });
    } catch {
      return undefined;
    }
  }

  /** Fresh random values for a sign-in transaction. */
  static newChecks(): CallbackChecks {
    return { codeVerifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
  }
}
