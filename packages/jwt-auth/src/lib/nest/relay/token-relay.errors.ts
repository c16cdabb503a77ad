import { JwtAuthError } from '../../errors/jwt-auth.error';

/** Stable codes of {@link TokenRelayError}. */
export const TokenRelayErrorCode = {
  /** There is no token to relay: the call is anonymous, or the code runs outside a relayed call. */
  TOKEN_MISSING: 'relay_token_missing',
  /** The token is not a single RFC 6750 b64token, so it cannot be put into an `Authorization` header. */
  TOKEN_MALFORMED: 'relay_token_malformed',
} as const;

/** One of the {@link TokenRelayErrorCode} values. */
export type TokenRelayErrorCode = (typeof TokenRelayErrorCode)[keyof typeof TokenRelayErrorCode];

/**
 * Raised when a token cannot be relayed. A programming or wiring error on the caller's side (a `@Public()` handler
 * that relays, a relay call outside `TokenRelayInterceptor`), so it is not an authentication failure of the incoming
 * call. The message never contains the token.
 */
export class TokenRelayError extends JwtAuthError {
  override readonly name = 'TokenRelayError';

  constructor(
    /** Stable machine-readable code. */
    readonly code: TokenRelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}
