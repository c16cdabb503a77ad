import { Catch, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { throwError, type Observable } from 'rxjs';
import { toRpcErrorPayload } from './auth-error.mapper';
import { BearerAuthException } from './bearer-auth.exception';

/**
 * Writes a {@link BearerAuthException} with its `WWW-Authenticate` header on Express and Fastify. Registered by
 * `JwtAuthModule` as `APP_FILTER`: it is what carries the challenge for `AuthGuard('jwt')`, where the passport
 * strategy never sees the response.
 */
@Catch(BearerAuthException)
export class BearerAuthExceptionFilter implements ExceptionFilter<BearerAuthException> {
  constructor(@Optional() @Inject(HttpAdapterHost) private readonly adapterHost?: HttpAdapterHost) {}

  catch(exception: BearerAuthException, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') return throwError(() => toRpcErrorPayload(exception.cause));
    if (host.getType() !== 'http') return;
    const response: unknown = host.switchToHttp().getResponse();
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) {
      replyWithNode(response as ServerResponse, exception);
      return;
    }
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    adapter.setHeader(response, 'WWW-Authenticate', exception.wwwAuthenticate);
    adapter.reply(response, exception.getResponse(), exception.getStatus());
  }
}

function replyWithNode(response: ServerResponse, exception: BearerAuthException): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.statusCode = exception.getStatus();
  response.setHeader('WWW-Authenticate', exception.wwwAuthenticate);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(exception.getResponse()));
}
