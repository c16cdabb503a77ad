import type { ExecutionContext } from '@nestjs/common';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { AuthPrincipal } from '../jwt/principal';

/** An HTTP request as far as this package touches it (Express `Request` or `FastifyRequest`). */
export interface AuthHttpRequest {
  /** Lower-cased headers; Node keeps only the first of repeated `Authorization` headers here. */
  headers?: Record<string, string | string[] | undefined>;
  /** Every header line as sent (Express / Node). */
  rawHeaders?: string[];
  /** The Node request behind a Fastify request. */
  raw?: { rawHeaders?: string[] };
  /** Where the principal is attached. */
  user?: unknown;
}

// Keyed by the RPC context object or connection, so nothing in a payload can forge or overwrite an entry.
const rpcPrincipals = new WeakMap<object, AuthPrincipal>();
const accessTokens = new WeakMap<object, string>();

// An HTTP request's token rides on the request itself, under a symbol no payload can name, in a private field that
// JSON, util.inspect and Object.keys do not show. A WeakMap keyed by requests would cost each request about a
// microsecond of ephemeron bookkeeping, since every key dies young (decision 023).
const HTTP_ACCESS_TOKEN = Symbol('@nest-sso/jwt-auth access token');

class HttpAccessToken {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  get value(): string {
    return this.#token;
  }
}

interface HttpTokenHolder {
  [HTTP_ACCESS_TOKEN]?: HttpAccessToken;
}

/** The token `JwtAuthGuard` accepted for an HTTP request (Express `Request` or `FastifyRequest`), if any. */
export function httpAccessToken(request: object): string | undefined {
  return (request as HttpTokenHolder)[HTTP_ACCESS_TOKEN]?.value;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * The object an RPC call's authentication is attached to: the transport context (second handler argument:
 * `TcpContext`, `NatsContext`, `RedisContext`, `RmqContext`, `KafkaContext`, gRPC `Metadata`), else the payload.
 * Nest's transports create one context object per message, so a principal never leaks into another message.
 */
function rpcHolder(context: ExecutionContext): object | undefined {
  const ctx: unknown = context.getArgByIndex(1);
  if (isObject(ctx)) return ctx;
  const data: unknown = context.getArgByIndex(0);
  return isObject(data) ? data : undefined;
}

function holderOf(context: ExecutionContext): object | undefined {
  switch (context.getType<string>()) {
    case 'http': {
      const request: unknown = context.switchToHttp().getRequest();
      return isObject(request) ? request : undefined;
    }
    case 'rpc':
      return rpcHolder(context);
    case 'ws':
    case 'graphql': {
      // The socket (one per connection), or the GraphQL context object (one per operation / subscription).
      const holder: unknown = context.getArgByIndex(context.getType<string>() === 'ws' ? 0 : 2);
      return isObject(holder) ? holder : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Record the outcome of authentication: on HTTP the principal becomes `request.user` (Express and Fastify alike);
 * on RPC it is attached to the transport context object. `undefined` records an anonymous call.
 */
export function attachAuthentication(
  context: ExecutionContext,
  principal: AuthPrincipal | undefined,
  token: string | undefined,
): void {
  const holder = holderOf(context);
  if (holder === undefined) {
    throw new AuthError(
      AuthErrorCode.VALIDATION_FAILED,
      'The call has no request or context object to attach the principal to',
    );
  }
  if (context.getType() === 'http') {
    attachHttpAuthentication(holder, principal, token);
    return;
  }
  if (principal === undefined) {
    rpcPrincipals.delete(holder);
  } else {
    rpcPrincipals.set(holder, principal);
  }
  if (token === undefined) accessTokens.delete(holder);
  else accessTokens.set(holder, token);
}

/**
 * Record the principal and token a WebSocket connection (or GraphQL subscription context) was authenticated with
 * when it was opened; handlers of that connection see them through `@CurrentUser()` / `@AccessToken()`.
 */
export function attachConnectionAuthentication(holder: object, principal: AuthPrincipal, token: string): void {
  rpcPrincipals.set(holder, principal);
  accessTokens.set(holder, token);
}

/** The token a connection was opened with (see {@link attachConnectionAuthentication}), `undefined` when none. */
export function getConnectionAccessToken(holder: object): string | undefined {
  return accessTokens.get(holder);
}

/** {@link attachAuthentication} for an HTTP request already at hand (the guard's fast path). */
export function attachHttpAuthentication(
  request: object,
  principal: AuthPrincipal | undefined,
  token: string | undefined,
): void {
  (request as AuthHttpRequest).user = principal;
  (request as HttpTokenHolder)[HTTP_ACCESS_TOKEN] = token === undefined ? undefined : new HttpAccessToken(token);
}

/** Remember the raw token of an HTTP request (used by the passport strategy, which sees only the request). */
export function attachHttpAccessToken(request: object, token: string): void {
  (request as HttpTokenHolder)[HTTP_ACCESS_TOKEN] = new HttpAccessToken(token);
}

/**
 * The authenticated principal of a call, on HTTP (`request.user`) and RPC alike; `undefined` when anonymous.
 * Use it in interceptors, filters and other guards; in handlers prefer `@CurrentUser()`.
 */
export function getAuthPrincipal(context: ExecutionContext): AuthPrincipal | undefined {
  const holder = holderOf(context);
  if (holder === undefined) return undefined;
  if (context.getType() === 'http') return (holder as AuthHttpRequest).user as AuthPrincipal | undefined;
  return rpcPrincipals.get(holder);
}

/** The raw access token the call was authenticated with, for relaying downstream; `undefined` when anonymous. */
export function getAccessToken(context: ExecutionContext): string | undefined {
  const holder = holderOf(context);
  if (holder === undefined) return undefined;
  return context.getType() === 'http' ? httpAccessToken(holder) : accessTokens.get(holder);
}
