import type { ExecutionContext, LoggerService } from '@nestjs/common';
import { AuthError, AuthErrorCode } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import { collectBearerTokens, singleToken } from '../../bearer/bearer-credentials';
import { attachAuthentication, getConnectionAccessToken } from '../auth-context';
import { toRpcErrorPayload, toWsException } from '../auth-error.mapper';
import type { AuthTransport } from './auth-transport.interface';

/** Close code sent to a WebSocket whose token is missing, invalid or expired (4000-4999 are for applications). */
export const WS_CLOSE_UNAUTHENTICATED = 4401;

type Duck = Record<string, unknown>;

function isObject(value: unknown): value is Duck {
  return typeof value === 'object' && value !== null;
}

/** A socket.io `Socket` (server side), told apart from a `ws` WebSocket by its handshake. */
export function isSocketIoSocket(client: unknown): client is Duck & { handshake: Duck } {
  return isObject(client) && isObject(client['handshake']) && typeof client['disconnect'] === 'function';
}

/**
 * The tokens a socket.io handshake presents: `auth.token` (the raw token, as `io(url, { auth: { token } })` sends it)
 * and the `Authorization: Bearer` header (Node clients' `extraHeaders`).
 */
export function socketIoHandshakeTokens(handshake: Duck): string[] {
  const headers = handshake['headers'];
  const header = isObject(headers) ? headers['authorization'] : undefined;
  const tokens = collectBearerTokens(header === undefined ? [] : Array.isArray(header) ? header : [header]);
  const auth = handshake['auth'];
  if (isObject(auth) && auth['token'] !== undefined && auth['token'] !== null && auth['token'] !== '') {
    if (typeof auth['token'] !== 'string') {
      throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'The handshake auth token is not a string');
    }
    tokens.push(auth['token']);
  }
  return tokens;
}

/**
 * WebSocket gateway adapter (`@nestjs/platform-socket.io` and `@nestjs/platform-ws`): every message is checked with
 * the token its connection was opened with (recorded by `WsAuthenticator`, or read from the socket.io handshake), so a
 * token that has expired since is refused on the next message: the socket gets an `exception` event with
 * `{ status, code, message }` and is closed (socket.io: disconnected; ws: close code 4401). A 403 leaves it open.
 */
export class WsAuthTransport implements AuthTransport {
  readonly type = 'ws';

  constructor(private readonly logger?: LoggerService) {}

  extractToken(context: ExecutionContext): string | undefined {
    const client: unknown = context.getArgByIndex(0);
    if (!isObject(client)) throw new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The WebSocket client is missing');
    const connectionToken = getConnectionAccessToken(client);
    if (connectionToken !== undefined) return connectionToken;
    return isSocketIoSocket(client) ? singleToken(socketIoHandshakeTokens(client.handshake)) : undefined;
  }

  attach(context: ExecutionContext, principal: AuthPrincipal | undefined, token: string | undefined): void {
    attachAuthentication(context, principal, token);
  }

  async toException(error: AuthError, context: ExecutionContext): Promise<unknown> {
    const client: unknown = context.getArgByIndex(0);
    const close = error.status === 401 && error.code !== AuthErrorCode.TOKEN_MISSING;
    try {
      if (isSocketIoSocket(client)) {
        if (close) {
          // Emitted here rather than by Nest's filter, which would run after the socket is gone.
          (client['emit'] as (event: string, payload: unknown) => void)('exception', toRpcErrorPayload(error));
          (client['disconnect'] as (close: boolean) => void)(true);
        }
      } else if (isObject(client) && typeof client['send'] === 'function') {
        // Nest's filter "emits" on a ws WebSocket, which only fires a local event: send the error frame here.
        const send = client['send'] as (data: string) => void;
        send.call(client, JSON.stringify({ event: 'exception', data: toRpcErrorPayload(error) }));
        if (close && typeof client['close'] === 'function') {
          (client['close'] as (code: number, reason: string) => void).call(
            client,
            WS_CLOSE_UNAUTHENTICATED,
            error.code,
          );
        }
      }
    } catch (sendError) {
      this.logger?.debug?.(`Could not deliver a WebSocket auth error: ${String(sendError)}`);
    }
    return toWsException(error);
  }
}
