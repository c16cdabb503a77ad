import type { ExecutionContext } from '@nestjs/common';
import type { AuthError } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';

/**
 * How one kind of execution context (`http`, `rpc`) carries a token and receives the outcome. The guard picks an
 * adapter by `context.getType()`; implement this to support another context type and return it from an overridden
 * `JwtAuthGuard.getTransport()`.
 */
export interface AuthTransport {
  /** The execution context type this adapter serves. */
  readonly type: string;
  /** The one token the call presents, `undefined` when it presents none; rejects with `multiple_tokens` for several. */
  extractToken(context: ExecutionContext): string | undefined;
  /** Attach the verified principal (or `undefined` for an anonymous call) and the raw token. */
  attach(context: ExecutionContext, principal: AuthPrincipal | undefined, token: string | undefined): void;
  /** The exception to throw for a failure, in this transport's terms. */
  toException(error: AuthError, context: ExecutionContext): Promise<unknown>;
}
