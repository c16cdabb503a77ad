import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { randomToken } from '../crypto/opaque-token';
import { DirectoryService } from '../directory/directory.service';
import { CLOCK } from '../identity.constants';
import { SsoSession } from '../session/sso-session.store';
import { AuthorizationCodeStore } from '../tokens/authorization-code.store';
import { assertGrantAllowed, grantAudiences, grantScopes } from './grant-rules';
import { IssuerService } from './issuer.service';
import { OAuthError } from './oauth.errors';
import { isS256Challenge } from './pkce';
import { RequestParams } from './request-params';

/** A validated authorization request (RFC 6749 section 4.1.1 with RFC 7636 PKCE). */
export interface AuthorizationRequest {
  /** Requesting client. */
  readonly clientId: string;
  /** Its display name. */
  readonly clientName: string;
  /** Registered redirect URI, matched exactly. */
  readonly redirectUri: string;
  /** Scopes to grant. */
  readonly scopes: readonly string[];
  /** Audiences to grant. */
  readonly audiences: readonly string[];
  /** Opaque client state, echoed back. */
  readonly state: string | undefined;
  /** S256 code challenge. */
  readonly codeChallenge: string;
  /** OpenID Connect `nonce`, echoed in the ID token. */
  readonly nonce: string | undefined;
}

/** Result of validating an authorization request. */
export type AuthorizeValidation =
  /** The client or redirect URI cannot be trusted: show an error page, never redirect (RFC 6749 section 4.1.2.1). */
  | { readonly kind: 'error-page'; readonly status: number; readonly message: string }
  /** Redirect back to the client with an error. */
  | { readonly kind: 'redirect'; readonly location: string }
  /** A request ready to be approved once a user is signed in. */
  | { readonly kind: 'valid'; readonly request: AuthorizationRequest };

/** How long an authorization request may wait for the user to log in. */
const PENDING_TTL_MS = 10 * 60_000;

/** Validates authorization requests, parks them during login and turns approved ones into code redirects. */
@Injectable()
export class AuthorizationService {
  private readonly logger = new Logger(AuthorizationService.name);
  private readonly pending: ExpiringMap<AuthorizationRequest>;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly codes: AuthorizationCodeStore,
    private readonly issuer: IssuerService,
  ) {
    this.pending = new ExpiringMap(clock);
  }

  /** Validates the query of `GET /authorize`. */
  validate(query: unknown): AuthorizeValidation {
    let params: RequestParams;
    let clientId: string | undefined;
    let redirectUri: string | undefined;
    try {
      params = RequestParams.from(query);
      clientId = params.one('client_id');
      redirectUri = params.one('redirect_uri');
    } catch (error) {
      return { kind: 'error-page', status: 400, message: (error as OAuthError).description };
    }
    if (clientId === undefined) return { kind: 'error-page', status: 400, message: 'The request has no client_id.' };
    const client = this.directory.findClient(clientId);
    if (!client) return { kind: 'error-page', status: 400, message: 'The application is not registered.' };
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      return {
        kind: 'error-page',
        status: 400,
        message: 'The redirect_uri is missing or not registered for this application.',
      };
    }
    let state: string | undefined;
    try {
      state = params.one('state');
      assertGrantAllowed(client, 'authorization_code');
      const responseType = params.required('response_type');
      if (responseType !== 'code')
        throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
      const method = params.one('code_challenge_method');
      // RFC 7636 section 4.3: an absent method means `plain`, which this server refuses like an explicit one.
      if (method !== 'S256')
        throw new OAuthError('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
      const codeChallenge = params.required('code_challenge');
      if (!isS256Challenge(codeChallenge))
        throw new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters');
      const nonce = params.one('nonce');
      if (nonce !== undefined && (nonce.length === 0 || nonce.length > 512))
        throw new OAuthError('invalid_request', 'nonce must be 1 to 512 characters');
      return {
        kind: 'valid',
        request: {
          clientId: client.clientId,
          clientName: client.name,
          redirectUri,
          scopes: grantScopes(params.one('scope'), client.scopes),
          audiences: grantAudiences(params, client.audiences),
          state,
          codeChallenge,
          nonce,
        },
      };
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return { kind: 'redirect', location: this.errorLocation(redirectUri, state, error) };
    }
  }

  /** Keeps `request` while the user logs in and returns its id. */
  park(request: AuthorizationRequest): string {
    const id = randomToken(18);
    this.pending.set(id, request, this.clock.now() + PENDING_TTL_MS);
    return id;
  }

  /** The parked request `id`, left in place. */
  peek(id: string | undefined): AuthorizationRequest | undefined {
    return id === undefined ? undefined : this.pending.get(id);
  }

  /** Removes and returns the parked request `id`. */
  resume(id: string | undefined): AuthorizationRequest | undefined {
    return id === undefined ? undefined : this.pending.take(id);
  }

  /**
   * Issues a code for a signed-in user and returns the client redirect carrying it. Scopes the user may not have
   * (a user's `scopes` list in the seed) are left out of the grant, not refused: the client sees what was granted.
   */
  approve(request: AuthorizationRequest, session: SsoSession): string {
    const allowed = this.directory.findUser(session.username)?.scopes;
    const scopes = allowed ? request.scopes.filter((scope) => allowed.includes(scope)) : request.scopes;
    session.clientIds.add(request.clientId);
    const code = this.codes.issue({
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      sub: session.sub,
      scopes,
      audiences: request.audiences,
      nonce: request.nonce,
      authTime: session.authTime,
      sid: session.sid,
    });
    this.logger.log(`issued authorization code client_id=${request.clientId} sub=${session.sub}`);
    return this.location(request.redirectUri, { code, state: request.state });
  }

  private errorLocation(redirectUri: string, state: string | undefined, error: OAuthError): string {
    return this.location(redirectUri, { error: error.code, error_description: error.description, state });
  }

  private location(redirectUri: string, values: Record<string, string | undefined>): string {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined) url.searchParams.append(name, value);
    }
    // RFC 9207: naming the issuer in the response defeats mix-up attacks.
    url.searchParams.append('iss', this.issuer.issuer);
    return url.toString();
  }
}
