import type { ExecutionContext } from '@nestjs/common';
import { AuthError, AuthErrorCode, sharedAuthError, valueOrThrow } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import { attachHttpAuthentication, type AuthHttpRequest } from '../auth-context';
import { isRequestBodyPending } from '../request-body-gate';
import { applyChallenge, toHttpException } from '../auth-error.mapper';
import type { TokenExtractor } from '../jwt-auth-options.interface';
import type { AuthTransport } from './auth-transport.interface';
import { readBearerTokens, singleToken } from '../../bearer/bearer-credentials';

/** Node's HTTP parser keeps 2000 raw header entries (1000 headers) unless `server.maxHeadersCount` says otherwise. */
const NODE_DEFAULT_HEADER_LIMIT = 1000;

// Refusals of the headers carry nothing of the request: built once and shared (decision 023).
const TOO_MANY_HEADERS = sharedAuthError(
  new AuthError(AuthErrorCode.TOO_MANY_HEADERS, 'The request has as many headers as the server keeps'),
);
const SEVERAL_AUTHORIZATION_HEADERS = sharedAuthError(
  new AuthError(AuthErrorCode.MULTIPLE_TOKENS, 'The request has more than one Authorization header'),
);

interface ServerSocket {
  readonly socket?: { readonly server?: { readonly maxHeadersCount?: number | null } };
}

/**
 * True when the request has as many headers as its server keeps. Node drops the headers past that limit silently, so
 * a second `Authorization` behind 2000 junk headers would go unseen: such a request is refused instead.
 */
export function headerLimitReached(request: AuthHttpRequest): boolean {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (!Array.isArray(raw)) return false;
  const node = (request.raw ?? request) as ServerSocket;
  const configured = node.socket?.server?.maxHeadersCount;
  const limit = typeof configured === 'number' ? configured : NODE_DEFAULT_HEADER_LIMIT;
  // maxHeadersCount 0 is Node's "no limit": nothing is dropped.
  return limit > 0 && raw.length >= limit * 2;
}

function authorizationValues(request: AuthHttpRequest): unknown[] | AuthError {
  if (headerLimitReached(request)) return TOO_MANY_HEADERS;
  // Node keeps only the first of repeated Authorization headers in `headers`; rawHeaders still shows them all.
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (Array.isArray(raw)) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (typeof name === 'string' && name.length === 13 && name.toLowerCase() === 'authorization') count++;
    }
    if (count > 1) return SEVERAL_AUTHORIZATION_HEADERS;
  }
  // `headers` rather than rawHeaders for the value, so middleware that sets the header (cookie to header) still works.
  const header = request.headers?.['authorization'];
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/**
 * Every token an HTTP request presents: the `Authorization: Bearer` header (Express or Fastify request) plus one
 * per extractor hit.
 */
export function extractHttpTokens(request: unknown, extractors: readonly TokenExtractor[]): string[] {
  return valueOrThrow(readHttpTokens(request, extractors));
}

/**
 * {@link extractHttpTokens} with a refusal of the headers as a value, for the Fastify hook, which refuses often (a
 * throw costs it several microseconds, decision 023). An extractor that throws still throws.
 */
export function readHttpTokens(request: unknown, extractors: readonly TokenExtractor[]): string[] | AuthError {
  if (typeof request !== 'object' || request === null) {
    return new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The HTTP request is missing');
  }
  const values = authorizationValues(request as AuthHttpRequest);
  if (values instanceof AuthError) return values;
  const tokens = readBearerTokens(values);
  if (tokens instanceof AuthError) return tokens;
  for (const extractor of extractors) {
    const found: unknown = extractor(request);
    if (found === null || found === undefined || found === '') continue;
    if (typeof found !== 'string') {
      return new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'A token extractor returned something that is not a string');
    }
    tokens.push(found);
  }
  return tokens;
}

function setHeader(response: unknown, name: string, value: string): void {
  const target = response as { headersSent?: boolean; setHeader?: (name: string, value: string) => void } | null;
  if (target && target.headersSent !== true && typeof target.setHeader === 'function') target.setHeader(name, value);
}

/** HTTP adapter: reads `Authorization: Bearer` and the extra extractors, answers with a `BearerAuthException`. */
export class HttpAuthTransport implements AuthTransport {
  readonly type = 'http';

  constructor(
    private readonly extractors: readonly TokenExtractor[] = [],
    private readonly realm?: string,
  ) {}

  extractToken(context: ExecutionContext): string | undefined {
    return singleToken(extractHttpTokens(context.switchToHttp().getRequest(), this.extractors));
  }

  attach(context: ExecutionContext, principal: AuthPrincipal | undefined, token: string | undefined): void {
    const request: unknown = context.switchToHttp().getRequest();
    if (typeof request !== 'object' || request === null) {
      throw new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The HTTP request is missing');
    }
    attachHttpAuthentication(request, principal, token);
  }

  async toException(error: AuthError, context: ExecutionContext): Promise<unknown> {
    const exception = toHttpException(error, this.realm);
    const http = context.switchToHttp();
    // Set here as well as in the module's filter, so an app-wide catch-all filter that replies itself keeps the challenge.
    applyChallenge(http.getResponse(), exception);
    // A refused request's body stays unread: closing the connection spares reading (or waiting for) it.
    if (isRequestBodyPending(http.getRequest())) setHeader(http.getResponse(), 'Connection', 'close');
    return exception;
  }
}
