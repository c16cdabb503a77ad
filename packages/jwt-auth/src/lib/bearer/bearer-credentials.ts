import { AuthError, AuthErrorCode, sharedAuthError, valueOrThrow } from '../errors/auth.errors';

// RFC 6750 section 2.1: "Bearer" 1*SP b64token, the scheme compared case-insensitively (RFC 7235 section 2.1).
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const BEARER_SCHEME = /^Bearer(?: |$)/i;
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
const VISIBLE_ASCII_OR_SPACE = /^[\x20-\x7e\t]*$/;

// The refusals of a header carry nothing of the request, so each is built once and shared (decision 023).
const NOT_VISIBLE_ASCII = sharedAuthError(
  new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'The Authorization header has characters outside visible ASCII'),
);
const SEVERAL_CREDENTIALS = sharedAuthError(
  new AuthError(AuthErrorCode.MULTIPLE_TOKENS, 'The Authorization header carries more than one credential'),
);
const NOT_ONE_B64TOKEN = sharedAuthError(
  new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'The Bearer credentials are not a single b64token'),
);
const NOT_A_STRING = sharedAuthError(
  new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'The authorization header value is not a string'),
);
const SEVERAL_TOKENS = sharedAuthError(
  new AuthError(AuthErrorCode.MULTIPLE_TOKENS, 'The request presents more than one access token'),
);

/**
 * The bearer token in one `Authorization` value: `undefined` for an empty value or another scheme (the request
 * then carries no bearer token), throws `multiple_tokens` for a comma-joined list and `token_malformed` for a
 * Bearer credential that is not exactly one b64token or a value with characters beyond visible ASCII, SP and HTAB.
 */
export function parseBearerCredentials(value: string): string | undefined {
  return valueOrThrow(readBearerCredentials(value));
}

/**
 * {@link parseBearerCredentials} with the refusal as a value, for hot paths that refuse often: a throw from deep in a
 * server's stack costs several microseconds (decision 023).
 */
export function readBearerCredentials(value: string): string | undefined | AuthError {
  // The usual value first: exactly "Bearer <b64token>" passes every check below unchanged (no edge whitespace, only
  // visible ASCII and SP, no comma), so one match decides it.
  const exact = BEARER_CREDENTIALS.exec(value);
  if (exact !== null) return exact[1];
  // RFC 9110 section 5.5: only SP and HTAB are optional whitespace. String#trim() would also strip NBSP and the other
  // Unicode spaces, accepting a credential no HTTP peer sent that way.
  const trimmed = value.replace(OWS_EDGES, '');
  if (trimmed === '') return undefined;
  if (!VISIBLE_ASCII_OR_SPACE.test(trimmed)) return NOT_VISIBLE_ASCII;
  // A b64token never contains a comma, so a comma means several credentials joined into one header value.
  if (trimmed.includes(',')) return SEVERAL_CREDENTIALS;
  if (!BEARER_SCHEME.test(trimmed)) return undefined;
  // Nothing trimmed: the value has already failed the match.
  const match = trimmed === value ? null : BEARER_CREDENTIALS.exec(trimmed);
  return match === null ? NOT_ONE_B64TOKEN : match[1];
}

/**
 * Every bearer token found in a list of `Authorization` header values (non-string members are malformed).
 */
export function collectBearerTokens(values: readonly unknown[]): string[] {
  return valueOrThrow(readBearerTokens(values));
}

/** {@link collectBearerTokens} with the refusal as a value. */
export function readBearerTokens(values: readonly unknown[]): string[] | AuthError {
  const tokens: string[] = [];
  for (const value of values) {
    if (typeof value !== 'string') return NOT_A_STRING;
    const token = readBearerCredentials(value);
    if (token instanceof AuthError) return token;
    if (token !== undefined) tokens.push(token);
  }
  return tokens;
}

/** The single presented token, `undefined` when there is none; more than one is `multiple_tokens` (RFC 6750 section 2). */
export function singleToken(tokens: readonly string[]): string | undefined {
  return valueOrThrow(oneToken(tokens));
}

/** {@link singleToken} with the refusal as a value. */
export function oneToken(tokens: readonly string[]): string | undefined | AuthError {
  return tokens.length > 1 ? SEVERAL_TOKENS : tokens[0];
}

/**
 * The bearer token of a request from its `Authorization` header value(s), as Node gives them (`req.headers.authorization`
 * or an array of raw values): `undefined` when none is presented, an {@link AuthError} when the header is malformed
 * or carries more than one credential. Only SP and HTAB count as whitespace (RFC 9110).
 * @example const token = extractBearerToken(req.headers.authorization);
 */
export function extractBearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  return singleToken(collectBearerTokens(typeof header === 'string' ? [header] : header));
}
