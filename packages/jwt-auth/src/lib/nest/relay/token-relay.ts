import { Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { createRpcAuthEnvelope, type RpcAuthEnvelope } from '../transports/rpc-auth-envelope';
import { currentAccessToken } from './token-relay.context';
import { TokenRelayError, TokenRelayErrorCode } from './token-relay.errors';

// RFC 6750 section 2.1 b64token: what may follow "Bearer " in an Authorization header. Anything else (spaces,
// CR/LF, commas) could split or inject header values downstream, so it is refused rather than sent.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * What {@link TokenRelay.send} and {@link TokenRelay.emit} need of a client: `ClientProxy` from
 * `@nestjs/microservices` fits as it is (typed structurally, so that optional peer stays optional).
 */
export interface RelayClient {
  /** Request-response: `ClientProxy.send()`. */
  send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult>;
  /** Event: `ClientProxy.emit()`. */
  emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult>;
}

/**
 * Forwards the caller's bearer token on outgoing calls: HTTP `Authorization` headers and the RPC auth envelope that
 * `JwtAuthGuard` reads on TCP, Redis and every other transport. Each method takes the token explicitly (from
 * `@AccessToken()`) or, when it is omitted, uses the token of the current call as recorded by
 * `TokenRelayInterceptor` (register `TokenRelayModule`). The token is never logged and never appears in an error.
 *
 * Relay a token only to services that are among its audiences: the downstream service validates it on its own.
 * @example
 * // With TokenRelayModule imported, inside any handler (or code it calls):
 * await fetch(url, { headers: this.relay.headers() });
 * return this.relay.send(this.inventory, 'inventory.reserve', { sku, quantity });
 */
@Injectable()
export class TokenRelay {
  /** The access token of the current call, `undefined` when it is anonymous or outside `TokenRelayInterceptor`. */
  currentToken(): string | undefined {
    return currentAccessToken();
  }

  /**
   * The token to relay: `token` when given, else the current call's; throws {@link TokenRelayError} when there is
   * none or it cannot travel in an `Authorization` header.
   */
  token(token?: string): string {
    const value = token ?? currentAccessToken();
    if (value === undefined || value === '') {
      throw new TokenRelayError(
        TokenRelayErrorCode.TOKEN_MISSING,
        'No access token to relay: pass the @AccessToken() value, or call from a handler authenticated by JwtAuthGuard with TokenRelayModule imported',
      );
    }
    if (typeof value !== 'string' || !B64TOKEN.test(value)) {
      throw new TokenRelayError(
        TokenRelayErrorCode.TOKEN_MALFORMED,
        'The access token to relay is not a single RFC 6750 b64token',
      );
    }
    return value;
  }

  /** The `Authorization` header value, `Bearer <token>`. */
  authorization(token?: string): string {
    return `Bearer ${this.token(token)}`;
  }

  /**
   * HTTP headers carrying the token, merged over `extra` (whose own `authorization`, in any case, is replaced).
   * @example await fetch(url, { headers: relay.headers(undefined, { accept: 'application/json' }) })
   */
  headers(token?: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const authorization = this.authorization(token);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(extra))
      if (name.toLowerCase() !== 'authorization') headers[name] = value;
    headers['authorization'] = authorization;
    return headers;
  }

  /** Wrap `data` in the {@link RpcAuthEnvelope} with the token (read `data` downstream with `@Payload(RPC_ENVELOPE_DATA)`). */
  envelope<T>(data: T, token?: string): RpcAuthEnvelope<T> {
    return createRpcAuthEnvelope(this.token(token), data);
  }

  /**
   * `client.send(pattern, envelope)`: a request-response message carrying the token. The token is read when `send`
   * is called (not when the Observable is subscribed), so it is the one of the call that made the request.
   * @example firstValueFrom(relay.send<Reservation>(client, 'inventory.reserve', { sku: 'A-1', quantity: 1 }))
   */
  send<TResult = unknown, TData = unknown>(
    client: RelayClient,
    pattern: unknown,
    data: TData,
    token?: string,
  ): Observable<TResult> {
    return client.send<TResult, RpcAuthEnvelope<TData>>(pattern, this.envelope(data, token));
  }

  /** `client.emit(pattern, envelope)`: an event carrying the token (read at call time, as for {@link TokenRelay.send}). */
  emit<TResult = unknown, TData = unknown>(
    client: RelayClient,
    pattern: unknown,
    data: TData,
    token?: string,
  ): Observable<TResult> {
    return client.emit<TResult, RpcAuthEnvelope<TData>>(pattern, this.envelope(data, token));
  }
}
