/** Error codes of RFC 6749 sections 4.1.2.1 and 5.2 and RFC 8707 section 2. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error';

/** An OAuth error answer: the stable `code` goes on the wire with a human-readable description. */
export class OAuthError extends Error {
  /** HTTP status: 401 for `invalid_client`, 500 for `server_error`, 400 otherwise. */
  readonly status: number;

  constructor(
    /** RFC 6749 error code. */
    readonly code: OAuthErrorCode,
    /** Human-readable `error_description`; never contains a credential. */
    readonly description: string,
    /** Whether the client tried HTTP Basic, which obliges a `WWW-Authenticate: Basic` challenge on 401. */
    readonly usedBasicAuth = false,
  ) {
    super(`${code}: ${description}`);
    this.name = 'OAuthError';
    this.status = code === 'invalid_client' ? 401 : code === 'server_error' ? 500 : 400;
  }
}
