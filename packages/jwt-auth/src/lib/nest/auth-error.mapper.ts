import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { formatWwwAuthenticate } from '../bearer/www-authenticate';
import { BearerAuthException } from './bearer-auth.exception';

/** Which RPC transport a message came in on; decides the error shape (gRPC needs a numeric status code). */
export type RpcTransportKind = 'tcp' | 'nats' | 'redis' | 'rmq' | 'kafka' | 'mqtt' | 'grpc' | 'unknown';

/**
 * What an RPC caller receives for an authentication failure (the `RpcException` error object).
 * A `ClientProxy` call rejects with exactly this object.
 */
export interface RpcAuthErrorPayload {
  /** HTTP-equivalent status: 400, 401 or 403. */
  readonly status: 400 | 401 | 403;
  /** The stable {@link AuthErrorCode}. */
  readonly code: AuthErrorCode;
  /** What went wrong, without the token. */
  readonly message: string;
}

/** The gRPC variant: `code` is the gRPC status (16 UNAUTHENTICATED, 7 PERMISSION_DENIED, 3 INVALID_ARGUMENT). */
export interface GrpcAuthErrorPayload {
  /** gRPC status code. */
  readonly code: 3 | 7 | 16;
  /** `<auth code>: <message>`, the gRPC status details. */
  readonly message: string;
  /** HTTP-equivalent status. */
  readonly status: 400 | 401 | 403;
  /** The stable {@link AuthErrorCode}. */
  readonly error: AuthErrorCode;
}

const GRPC_STATUS = { 400: 3, 401: 16, 403: 7 } as const;
/** Map an error to the HTTP exception the client sees; anything that is not an {@link AuthError} becomes a 401. */
export function toHttpException(error: unknown, realm?: string): BearerAuthException {
  const authError = AuthError.from(error);
  const challenge = formatWwwAuthenticate(authError, realm);
  // No stack trace, like AuthError itself: refusals are routine and cheap (decision 023).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new BearerAuthException(authError, challenge);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** Map an error to the error object an RPC caller receives; anything that is not an {@link AuthError} becomes a 401. */
export function toRpcErrorPayload(
  error: unknown,
  transport: RpcTransportKind = 'unknown',
): RpcAuthErrorPayload | GrpcAuthErrorPayload {
  const authError = AuthError.from(error);
  if (transport === 'grpc') {
    return {
      code: GRPC_STATUS[authError.status],
      message: `${authError.code}: ${authError.message}`,
      status: authError.status,
      error: authError.code,
    };
  }
  return { status: authError.status, code: authError.code, message: authError.message };
}

/**
 * Map an error to an `RpcException` (loaded lazily: `@nestjs/microservices` is an optional peer), so a
 * `ClientProxy` caller sees 400/401/403 semantics rather than "Internal server error".
 */
export async function toRpcException(error: unknown, transport: RpcTransportKind = 'unknown'): Promise<Error> {
  // Node's module cache owns the loaded peer: a repeated import() is a cache lookup.
  const { RpcException } = await import('@nestjs/microservices');
  return new RpcException(toRpcErrorPayload(error, transport));
}

/** A response object as far as setting a header goes: Express `Response`, Fastify `FastifyReply` or Node's. */
interface HeaderWritable {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
  headersSent?: boolean;
  sent?: boolean;
}

/** Set the exception's `WWW-Authenticate` on an Express or Fastify response (no-op when already sent). */
export function applyChallenge(response: unknown, exception: BearerAuthException): void {
  if (typeof response !== 'object' || response === null) return;
  const target = response as HeaderWritable;
  if (target.headersSent === true || target.sent === true) return;
  // Express `res.header` and Fastify `reply.header` both set one header; Node's `setHeader` is the fallback.
  if (typeof target.header === 'function') target.header('WWW-Authenticate', exception.wwwAuthenticate);
  else if (typeof target.setHeader === 'function') target.setHeader('WWW-Authenticate', exception.wwwAuthenticate);
}

/**
 * Map an error to a `WsException` carrying {@link RpcAuthErrorPayload} (loaded lazily: `@nestjs/websockets` is an
 * optional peer); Nest's gateway filter emits it to the socket as an `exception` event.
 */
export async function toWsException(error: unknown): Promise<Error> {
  const { WsException } = await import('@nestjs/websockets');
  return new WsException(toRpcErrorPayload(error));
}

/** The GraphQL `extensions.code` for an auth failure: `UNAUTHENTICATED` (401), `FORBIDDEN` (403), `BAD_REQUEST` (400). */
export function graphqlErrorCode(error: AuthError): 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_REQUEST' {
  return error.status === 403 ? 'FORBIDDEN' : error.status === 400 ? 'BAD_REQUEST' : 'UNAUTHENTICATED';
}

/**
 * Map an error to a `GraphQLError` (loaded lazily: `graphql` is an optional peer) with `extensions.code`
 * `UNAUTHENTICATED` / `FORBIDDEN` / `BAD_REQUEST`, `extensions.status` and `extensions.authCode` (the {@link AuthErrorCode}).
 */
export async function toGraphqlError(error: unknown): Promise<Error> {
  const { GraphQLError } = await import('graphql');
  const authError = AuthError.from(error);
  return new GraphQLError(authError.message, {
    extensions: { code: graphqlErrorCode(authError), status: authError.status, authCode: authError.code },
  });
}
