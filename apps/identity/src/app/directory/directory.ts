import { SigningAlgorithm } from '../keys/signing-algorithm';

/** OAuth 2.0 grant types this issuer implements. */
export const GRANT_TYPES = ['authorization_code', 'client_credentials', 'refresh_token'] as const;

/** One of {@link GRANT_TYPES}. */
export type GrantType = (typeof GRANT_TYPES)[number];

/** A person who can sign in on the login page. */
export interface User {
  /** Login name. */
  readonly username: string;
  /** Stable subject identifier put in `sub`. */
  readonly sub: string;
  /** Display name. */
  readonly name: string;
  /** scrypt hash of the password. */
  readonly passwordHash: string;
  /** When set, the only scopes this user can be granted (e.g. no admin scope); unset means every scope the client may have. */
  readonly scopes?: readonly string[];
}

/** A registered OAuth client. */
export interface RegisteredClient {
  /** The `client_id`. */
  readonly clientId: string;
  /** Display name shown on the login page. */
  readonly name: string;
  /** `confidential` clients authenticate with a secret; `public` ones cannot keep one (RFC 6749 section 2.1). */
  readonly type: 'public' | 'confidential';
  /** scrypt hash of the client secret (confidential clients only). */
  readonly secretHash?: string;
  /** Algorithm of the access tokens issued to this client. */
  readonly alg: SigningAlgorithm;
  /** Algorithm of its ID tokens and logout tokens (`id_token_signed_response_alg`). */
  readonly idTokenAlg: SigningAlgorithm;
  /** Grants the client may use. */
  readonly grantTypes: readonly GrantType[];
  /** Redirect URIs, compared by exact string match. */
  readonly redirectUris: readonly string[];
  /** Scopes the client may request. */
  readonly scopes: readonly string[];
  /** Audiences its tokens may carry; all of them unless the request narrows them. */
  readonly audiences: readonly string[];
  /** Where RP-initiated logout may send the browser back to, compared by exact string match. */
  readonly postLogoutRedirectUris: readonly string[];
  /** Where OpenID Connect Back-Channel Logout tokens are POSTed, if the client takes them. */
  readonly backchannelLogoutUri?: string;
}

/** Users and clients, indexed for lookup. */
export interface Directory {
  /** Users by username. */
  readonly users: ReadonlyMap<string, User>;
  /** Clients by client_id. */
  readonly clients: ReadonlyMap<string, RegisteredClient>;
}
