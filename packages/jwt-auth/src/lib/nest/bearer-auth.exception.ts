import { HttpException } from '@nestjs/common';
import type { AuthError, AuthErrorCode } from '../errors/auth.errors';

/** The JSON body of an authentication failure on HTTP. */
export interface BearerAuthErrorBody {
  /** HTTP status: 400, 401 or 403. */
  readonly statusCode: number;
  /** The stable {@link AuthErrorCode}. */
  readonly error: AuthErrorCode;
  /** What went wrong, without the token. */
  readonly message: string;
}

/** The JSON body the client receives for an {@link AuthError}. */
export function bearerErrorBody(error: AuthError): BearerAuthErrorBody {
  return { statusCode: error.status, error: error.code, message: error.message };
}

/**
 * An {@link AuthError} on its way to an HTTP client: status, JSON body and the RFC 6750 `WWW-Authenticate`
 * challenge, which the guard sets on the response and the module's exception filter sets again.
 */
export class BearerAuthException extends HttpException {
  /** The stable {@link AuthErrorCode}. */
  readonly code: AuthErrorCode;

  constructor(
    error: AuthError,
    /** The `WWW-Authenticate` header value. */
    readonly wwwAuthenticate: string,
  ) {
    super(bearerErrorBody(error), error.status, { cause: error });
    this.code = error.code;
  }
}
