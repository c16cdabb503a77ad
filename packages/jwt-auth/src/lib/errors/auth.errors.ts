import { JwtAuthError } from './jwt-auth.error';

/**
 * Stable error codes raised while authenticating a request. Safe to match on; never renamed.
 */
export const AuthErrorCode = {
  /** No token was presented. */
  TOKEN_MISSING: 'token_missing',
  /** More than one token was presented in one request (RFC 6750 section 2). */
  MULTIPLE_TOKENS: 'multiple_tokens',
  /** The request has as many headers as the server keeps: more may have been dropped, a second credential among them. */
  TOO_MANY_HEADERS: 'too_many_headers',
  /** The token is not a well-formed compact JWS with JSON header and payload. */
  TOKEN_MALFORMED: 'token_malformed',
  /** The token is longer than `maxTokenLength`. */
  TOKEN_TOO_LARGE: 'token_too_large',
  /** The token uses a JOSE feature this validator refuses (`crit`, `b64`, nesting, JWE). */
  TOKEN_UNSUPPORTED: 'token_unsupported',
  /** The header `typ` names a token type that is not an access token. */
  TYPE_INVALID: 'type_invalid',
  /** The header `alg` is not on the issuer's allow-list, or does not fit the key. */
  ALGORITHM_NOT_ALLOWED: 'algorithm_not_allowed',
  /** The signature does not verify with the issuer's key. */
  SIGNATURE_INVALID: 'signature_invalid',
  /** `exp` has passed (beyond the clock tolerance). */
  TOKEN_EXPIRED: 'token_expired',
  /** `nbf` is in the future (beyond the clock tolerance). */
  TOKEN_NOT_YET_VALID: 'token_not_yet_valid',
  /** `iat` is in the future, or the token is older than `maxTokenAge`. */
  TOKEN_AGE_INVALID: 'token_age_invalid',
  /** `iss` is missing or is not a configured issuer. */
  ISSUER_INVALID: 'issuer_invalid',
  /** `aud` is missing or names none of the configured audiences. */
  AUDIENCE_INVALID: 'audience_invalid',
  /** A registered claim has the wrong type or range, or a required claim is missing. */
  CLAIM_INVALID: 'claim_invalid',
  /** The issuer has no key for the token's `kid` / `alg`. */
  KEY_NOT_FOUND: 'key_not_found',
  /** The token's X.509 chain or thumbprint fails the issuer's trust store (path validation, revocation, binding). */
  CERTIFICATE_INVALID: 'certificate_invalid',
  /** The issuer's keys cannot be obtained (JWKS or discovery down and nothing usable cached). */
  KEYS_UNAVAILABLE: 'keys_unavailable',
  /** The token is valid but lacks a required scope. */
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  /** An unexpected failure while validating; the request is refused. */
  VALIDATION_FAILED: 'validation_failed',
} as const;

/** One of the {@link AuthErrorCode} values. */
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode];

/** The RFC 6750 section 3.1 error code carried in `WWW-Authenticate`. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

interface CodeTraits {
  readonly status: 400 | 401 | 403;
  readonly bearerError: BearerErrorCode | undefined;
}

const TRAITS: Readonly<Record<AuthErrorCode, CodeTraits>> = Object.freeze({
  // RFC 6750 3.1: a request without authentication information gets no error code.
  token_missing: { status: 401, bearerError: undefined },
  multiple_tokens: { status: 400, bearerError: 'invalid_request' },
  too_many_headers: { status: 400, bearerError: 'invalid_request' },
  insufficient_scope: { status: 403, bearerError: 'insufficient_scope' },
  token_malformed: { status: 401, bearerError: 'invalid_token' },
  token_too_large: { status: 401, bearerError: 'invalid_token' },
  token_unsupported: { status: 401, bearerError: 'invalid_token' },
  type_invalid: { status: 401, bearerError: 'invalid_token' },
  algorithm_not_allowed: { status: 401, bearerError: 'invalid_token' },
  signature_invalid: { status: 401, bearerError: 'invalid_token' },
  token_expired: { status: 401, bearerError: 'invalid_token' },
  token_not_yet_valid: { status: 401, bearerError: 'invalid_token' },
  token_age_invalid: { status: 401, bearerError: 'invalid_token' },
  issuer_invalid: { status: 401, bearerError: 'invalid_token' },
  audience_invalid: { status: 401, bearerError: 'invalid_token' },
  claim_invalid: { status: 401, bearerError: 'invalid_token' },
  key_not_found: { status: 401, bearerError: 'invalid_token' },
  certificate_invalid: { status: 401, bearerError: 'invalid_token' },
  keys_unavailable: { status: 401, bearerError: 'invalid_token' },
  validation_failed: { status: 401, bearerError: 'invalid_token' },
});

/** Extra, token-free context attached to an {@link AuthError} for logs. */
export interface AuthErrorDetails {
  /** Scopes the request needed (for `insufficient_scope`). */
  readonly requiredScopes?: readonly string[];
  /** The unverified `iss`, when it is a configured issuer. */
  readonly issuer?: string;
  /** The unverified header `kid`, when it is a bounded string. */
  readonly kid?: string;
  /** The unverified header `alg`, when it is a bounded string. */
  readonly alg?: string;
}

/**
 * The one error family of this package: every authentication failure is an `AuthError` with a stable
 * {@link AuthErrorCode}, an HTTP status and an RFC 6750 error code. Messages never contain the token.
 */
export class AuthError extends JwtAuthError {
  override readonly name = 'AuthError';
  /** HTTP status for this failure: 400, 401 or 403. */
  readonly status: 400 | 401 | 403;
  /** RFC 6750 error code, or `undefined` when no token was presented. */
  readonly bearerError: BearerErrorCode | undefined;

  constructor(
    /** Stable machine-readable code. */
    readonly code: AuthErrorCode,
    message: string,
    /** Token-free context for logs. */
    readonly details: AuthErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    // A refusal is an expected outcome that any client can provoke on every request: its stack trace would cost
    // more than the rest of the refusal (decision 023). A wrapped unexpected error keeps its own stack as `cause`.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = stackTraceLimit;
    const traits = TRAITS[code] ?? TRAITS.validation_failed;
    this.status = traits.status;
    this.bearerError = traits.bearerError;
  }

  /**
   * Wrap anything thrown during validation: an `AuthError` passes through, anything else becomes
   * `validation_failed` (401 `invalid_token`) so that no unexpected throw ever lets a request through or answers 500.
   */
  static from(error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    return new AuthError(AuthErrorCode.VALIDATION_FAILED, 'Token validation failed', {}, { cause: error });
  }
}

/**
 * An {@link AuthError} frozen with its details, for a refusal that carries nothing of the request or token it refuses
 * and is built once and shared: constructing an `Error` costs more than the rest of such a refusal (decision 023).
 * @internal
 */
export function sharedAuthError(error: AuthError): AuthError {
  Object.freeze(error.details);
  return Object.freeze(error);
}

/**
 * The value of an outcome that carries its refusal as a value (the hot-path forms: `verifyOutcome`, the header
 * readers), for callers that want the throwing form.
 * @internal
 */
export function valueOrThrow<T>(outcome: T | AuthError): T {
  if (outcome instanceof AuthError) throw outcome;
  return outcome;
}

/** True when `value` is an {@link AuthError}. */
export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** One problem in the options: which option, what is wrong with it, and how to fix it. */
export interface ConfigProblem {
  /** Path of the offending option, e.g. `issuers[0].audience`. */
  readonly option: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

const formatProblem = ({ option, problem, fix }: ConfigProblem): string =>
  `Invalid option ${option}: ${problem}${/[.?!]$/.test(problem) ? '' : '.'} Fix: ${fix}`;

/**
 * Invalid configuration, raised when a verifier, a token provider or the module is constructed (at boot, never per
 * request). It lists every problem found at once, each naming the option and the fix; `option`, `problem` and `fix`
 * repeat the first one.
 */
export class JwtAuthConfigError extends JwtAuthError {
  override readonly name = 'JwtAuthConfigError';
  /** Always `config_invalid`. */
  readonly code = 'config_invalid';
  /** Every problem found, in option order. */
  readonly problems: readonly ConfigProblem[];
  /** Path of the (first) offending option, e.g. `issuers[0].audience`. */
  readonly option: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;

  constructor(option: string, problem: string, fix: string);
  constructor(problems: readonly ConfigProblem[]);
  constructor(optionOrProblems: string | readonly ConfigProblem[], problem = '', fix = '') {
    const problems: readonly ConfigProblem[] = Object.freeze(
      typeof optionOrProblems === 'string'
        ? [Object.freeze({ option: optionOrProblems, problem, fix })]
        : optionOrProblems.map((entry) => Object.freeze({ ...entry })),
    );
    if (problems.length === 0) throw new RangeError('JwtAuthConfigError needs at least one problem');
    super(
      problems.length === 1
        ? formatProblem(problems[0])
        : `${problems.length} problems in the options:\n${problems.map((entry) => `  - ${formatProblem(entry)}`).join('\n')}`,
    );
    this.problems = problems;
    ({ option: this.option, problem: this.problem, fix: this.fix } = problems[0]);
  }
}
