import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { getAccessToken } from '../auth-context';
import { runWithAccessToken } from './token-relay.context';

/**
 * Makes the verified token of each authenticated HTTP request or RPC message the current token for
 * `TokenRelay` while its handler runs (AsyncLocalStorage). Guards run before interceptors, so only a token that
 * `JwtAuthGuard` accepted is ever relayed; anonymous and `@Public()` calls run without one.
 * `TokenRelayModule` binds it to message handlers, gateway handlers and resolvers (HTTP routes get the token from a
 * request hook instead), or registers it globally or per route (see `TokenRelayModuleOptions`); it can also be applied
 * with `@UseInterceptors(TokenRelayInterceptor)`.
 */
@Injectable()
export class TokenRelayInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = context.getType<string>();
    const token =
      type === 'http' || type === 'rpc' || type === 'ws' || type === 'graphql' ? getAccessToken(context) : undefined;
    // Nest binds the handler to the async context in which handle() is called, so the handler and everything it
    // awaits run inside this store.
    return token === undefined ? next.handle() : runWithAccessToken(token, () => next.handle());
  }
}
