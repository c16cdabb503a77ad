import { Injectable } from '@nestjs/common';
import { formatWwwAuthenticate } from '../bearer/www-authenticate';
import { singleToken } from '../bearer/bearer-credentials';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { AuthPrincipal } from '../jwt/principal';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { attachConnectionAuthentication } from './auth-context';
import { toRpcErrorPayload } from './auth-error.mapper';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { extractHttpTokens } from './transports/http.transport';
import { socketIoHandshakeTokens } from './transports/ws.transport';

/** Options of {@link WsAuthenticator.bindToServer}. */
export interface WsAuthenticationOptions {
  /**
   * Accept connections that present no token; their messages then reach only `@Public()` / `@OptionalAuth()`
   * handlers. A presented token is always checked, and an invalid one always refused.
   * @default false
   */
  readonly allowAnonymous?: boolean;
}

/** The `Sec-WebSocket-Protocol` entry that announces a token in the next entry (`new WebSocket(url, ['bearer', token])`). */
export const WS_BEARER_PROTOCOL = 'bearer';

type Duck = Record<string, unknown>;
type Callback = (...args: unknown[]) => unknown;

function isObject(value: unknown): value is Duck {
  return typeof value === 'object' && value !== null;
}

interface UpgradeRequest {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
}

/**
 * The tokens of a `ws` upgrade request: the `Authorization` header (read as on HTTP: a repeated header is refused)
 * and the `bearer` subprotocol pair.
 */
export function wsUpgradeTokens(request: UpgradeRequest): string[] {
  const tokens = extractHttpTokens(request, []);
  const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const at = protocols.indexOf(WS_BEARER_PROTOCOL);
  if (at >= 0) {
    const token = protocols[at + 1];
    if (token === undefined) throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'The bearer subprotocol has no token');
    tokens.push(token);
  }
  return tokens;
}

/**
 * Checks the token when a WebSocket connection is made, for socket.io (`@nestjs/platform-socket.io`: the handshake's
 * `auth.token` or `Authorization` header) and `ws` (`@nestjs/platform-ws`: the `Authorization` header, or from
 * browsers the subprotocol pair `['bearer', token]`, which keeps the token out of URLs and access logs). A refused
 * socket.io client gets `connect_error` with `data: { status, code, message }`; a refused `ws` client gets an HTTP
 * 401 with `WWW-Authenticate` and that JSON body. The accepted token is then re-checked on every message by
 * `JwtAuthGuard`, so a socket whose token expires is told so and closed on its next message.
 * @example
 * @WebSocketGateway()
 * export class StockGateway implements OnGatewayInit {
 *   constructor(private readonly wsAuth: WsAuthenticator) {}
 *   afterInit(server: unknown) { this.wsAuth.bindToServer(server); }
 * }
 */
@Injectable()
export class WsAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly options: ResolvedJwtAuthOptions,
  ) {}

  /**
   * Verify the one token of a connection; resolves to `undefined` for none when anonymous connections are allowed,
   * rejects with an {@link AuthError} otherwise.
   */
  async authenticate(
    tokens: readonly string[],
    allowAnonymous = false,
  ): Promise<{ principal: AuthPrincipal; token: string } | undefined> {
    const token = singleToken(tokens);
    if (token === undefined) {
      if (allowAnonymous) return undefined;
      throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
    }
    return { principal: await this.verifier.verify(token), token };
  }

  /** Check tokens on connection for a socket.io `Server` / `Namespace` or a `ws` `WebSocketServer`. */
  bindToServer(server: unknown, options: WsAuthenticationOptions = {}): void {
    if (!isObject(server)) throw new TypeError('WsAuthenticator.bindToServer: no server was given');
    if (typeof server['use'] === 'function' && !isObject(server['options'])) {
      this.bindSocketIo(server, options);
    } else if (isObject(server['options']) && typeof server['handleUpgrade'] === 'function') {
      this.bindWs(server, options);
    } else if (typeof server['use'] === 'function') {
      this.bindSocketIo(server, options);
    } else {
      throw new TypeError(
        'WsAuthenticator.bindToServer: neither a socket.io server/namespace nor a ws WebSocketServer',
      );
    }
  }

  private refusal(error: unknown): AuthError {
    const authError = AuthError.from(error);
    const { issuer, kid, alg } = authError.details;
    this.options.logger.debug?.(
      `Refused WebSocket connection: code=${authError.code} iss=${JSON.stringify(issuer)} kid=${JSON.stringify(kid)} alg=${JSON.stringify(alg)}`,
    );
    return authError;
  }

  private bindSocketIo(server: Duck, options: WsAuthenticationOptions): void {
    (server['use'] as Callback).call(server, (socket: Duck, next: (error?: Error) => void) => {
      const run = async () => {
        const handshake = isObject(socket['handshake']) ? socket['handshake'] : {};
        const result = await this.authenticate(socketIoHandshakeTokens(handshake), options.allowAnonymous);
        if (result) attachConnectionAuthentication(socket, result.principal, result.token);
      };
      run().then(
        () => next(),
        (error: unknown) => {
          const authError = this.refusal(error);
          const refusal = new Error(authError.message) as Error & { data?: unknown };
          refusal.data = toRpcErrorPayload(authError);
          next(refusal);
        },
      );
    });
  }

  private bindWs(server: Duck, options: WsAuthenticationOptions): void {
    const wsOptions = server['options'] as Duck;
    const accepted = new WeakMap<object, { principal: AuthPrincipal; token: string }>();
    wsOptions['verifyClient'] = (info: { req: UpgradeRequest }, done: Callback) => {
      const run = async () => {
        const result = await this.authenticate(wsUpgradeTokens(info.req), options.allowAnonymous);
        if (result) accepted.set(info.req, result);
      };
      run().then(
        () => done(true),
        (error: unknown) => {
          const authError = this.refusal(error);
          done(false, authError.status, JSON.stringify(toRpcErrorPayload(authError)), {
            'WWW-Authenticate': formatWwwAuthenticate(authError, this.options.realm),
            'Content-Type': 'application/json',
          });
        },
      );
    };
    // Answer the bearer subprotocol with "bearer": the token itself is never echoed back.
    wsOptions['handleProtocols'] ??= (protocols: Set<string>) =>
      protocols.has(WS_BEARER_PROTOCOL) ? WS_BEARER_PROTOCOL : (protocols.values().next().value ?? false);
    (server['on'] as Callback).call(server, 'connection', (socket: object, request: object) => {
      const result = accepted.get(request);
      if (result) attachConnectionAuthentication(socket, result.principal, result.token);
    });
  }
}
