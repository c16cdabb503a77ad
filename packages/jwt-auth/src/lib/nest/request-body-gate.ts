import { HttpException, type LoggerService } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logSafe } from '../errors/log-safe';

/** An Express (connect-style) middleware. */
export type Middleware = (request: unknown, response: unknown, next: (error?: unknown) => void) => void;

/** Request bodies held back from Express's body parsers until the guard lets the request through. */
interface BodyGate {
  readonly pending: Middleware[];
  released: boolean;
}

const BODY_GATE = Symbol('nest-sso:jwt-auth:body-gate');
type GatedRequest = IncomingMessage & { [BODY_GATE]?: BodyGate };

/** True when the request announces a body (RFC 9112 section 6.3): a Transfer-Encoding, or a non-zero Content-Length. */
export function hasRequestBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** True when the client waits for `100 Continue` before sending the body. */
export function expectsContinue(request: IncomingMessage): boolean {
  return /^100-continue$/i.test(request.headers.expect ?? '');
}

/** True while an Express request's body is held back, unread. */
export function isRequestBodyPending(request: unknown): boolean {
  const gate = (request as GatedRequest | undefined)?.[BODY_GATE];
  return gate !== undefined && !gate.released && gate.pending.length > 0;
}

interface BodyParserError {
  readonly type?: string;
  readonly status?: number;
  readonly received?: number;
  readonly expected?: number;
}

// Fixed messages: body-parser's own (a JSON SyntaxError) quote the body back to the client.
const BODY_ERRORS: Readonly<Record<string, string>> = {
  'entity.parse.failed': 'The request body is not well-formed',
  'entity.too.large': 'The request body is too large',
  'encoding.unsupported': 'The request body encoding is not supported',
  'charset.unsupported': 'The request body charset is not supported',
  'request.size.invalid': 'The request body does not match its Content-Length',
  'request.aborted': 'The request body was aborted',
};

/**
 * Run an Express request's held-back body parsers (once): `JwtAuthGuard` calls it when it lets a request through.
 * Parser failures become 4xx answers with fixed messages (never the body); an aborted body is one warning line, without
 * a stack. A no-op for requests with nothing held back (Fastify, no body, or the feature off).
 */
export async function releaseRequestBody(request: unknown, response: unknown, logger: LoggerService): Promise<void> {
  const gate = (request as GatedRequest | undefined)?.[BODY_GATE];
  if (!gate || gate.released) return;
  gate.released = true;
  const req = request as GatedRequest;
  if (gate.pending.length > 0 && expectsContinue(req)) (response as Partial<ServerResponse>).writeContinue?.();
  for (const parser of gate.pending.splice(0)) {
    try {
      await new Promise<void>((resolve, reject) =>
        parser(req, response, (error?: unknown) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      throw bodyError(req, error as BodyParserError, logger);
    }
  }
}

function bodyError(request: IncomingMessage, error: BodyParserError, logger: LoggerService): HttpException {
  const type = typeof error?.type === 'string' ? error.type : '';
  const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 400;
  if (type === 'request.aborted') logAbortedBody(logger, request, Number(error.received) || 0);
  return new HttpException(
    { statusCode: status, message: BODY_ERRORS[type] ?? 'The request body could not be read' },
    status,
  );
}

/**
 * A request's path for a log line: escaped (it is the client's), and without its query string, which may carry an
 * access token (`?access_token=`, RFC 6750 section 2.3) or other secrets.
 */
export function loggedPath(url: string | undefined): string {
  return logSafe(url === undefined ? url : url.split('?', 1)[0]);
}

/**
 * Log a request body the client gave up on as one warning line: no stack, the path as {@link loggedPath} gives it. A
 * client closing its connection is not a server error.
 */
export function logAbortedBody(logger: LoggerService, request: IncomingMessage, received: number): void {
  const expected = Number(request.headers['content-length']);
  logger.warn(
    `Request body aborted by the client: ${request.method} ${loggedPath(request.url)} ` +
      `(${received} of ${Number.isSafeInteger(expected) ? expected : 'unknown'} bytes)`,
  );
}

/**
 * Hold `parser` back for this request: it runs when {@link releaseRequestBody} is called. Returns false (run it now)
 * when the request has no body or was released already.
 */
export function holdBodyParser(request: unknown, parser: Middleware): boolean {
  const req = request as GatedRequest;
  if (!hasRequestBody(req) || req[BODY_GATE]?.released) return false;
  (req[BODY_GATE] ??= { pending: [], released: false }).pending.push(parser);
  return true;
}
