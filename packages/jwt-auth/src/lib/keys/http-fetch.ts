import { JwtAuthError } from '../errors/jwt-auth.error';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline, Transform, Writable, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { parseStrictJson } from '../json/strict-json';
import { REMOTE_JWKS_DEFAULTS } from './remote-jwks.options';

/** Why a {@link fetchJson} call failed, for metrics and tests. */
export type FetchFailureReason =
  | 'url'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'status'
  | 'content-type'
  | 'encoding'
  | 'too-large'
  | 'json';

/** Thrown by {@link fetchJson}; the message is short and safe for logs (never any body content). */
export class FetchError extends JwtAuthError {
  override readonly name = 'FetchError';
  /** Always `fetch_failed`; `reason` says how. */
  readonly code = 'fetch_failed';

  constructor(
    /** What went wrong, as a stable keyword. */
    readonly reason: FetchFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Limits of one {@link fetchJson} call. */
export interface FetchJsonOptions {
  /** One deadline covering DNS, connect, headers and the whole body, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Cap on the decoded (decompressed) body size, in bytes. @default 262144 (256 KiB) */
  readonly maxBodyBytes?: number;
  /** Allow plain `http:` URLs; meant for loopback development and tests only. @default false */
  readonly allowInsecureHttp?: boolean;
  /** Aborts the request (socket destroyed) when signalled. */
  readonly signal?: AbortSignal;
}

const ACCEPT = 'application/json, application/jwk-set+json';
const ACCEPT_ENCODING = 'gzip, deflate, br';
// A compressed body is never much larger than its decoded form (deflate adds ~5 bytes per 16 KiB block).
const COMPRESSED_SLACK_BYTES = 1024;
// RFC 6838 restricted-name characters; `+json` is the RFC 6839 structured syntax suffix.
const JSON_MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:json|[a-z0-9][a-z0-9!#$&^_.+-]*\+json)$/;

/**
 * Check that `url` may be fetched: absolute, `https:` (or `http:` when allowed), without user or password.
 * @throws FetchError with reason `url`
 */
/**
 * True for loopback hosts (`localhost`, 127.0.0.0/8, `::1`): the only places where `allowInsecureHttp` lets plain
 * http through, so a flag meant for local development cannot expose key fetching on a real network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function checkFetchUrl(url: string, allowInsecureHttp = false): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FetchError('url', 'not an absolute URL');
  }
  if (parsed.username !== '' || parsed.password !== '') throw new FetchError('url', 'URL carries credentials');
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:') {
    if (allowInsecureHttp && isLoopbackHost(parsed.hostname)) return parsed;
    throw new FetchError(
      'url',
      allowInsecureHttp ? 'plain http is allowed for loopback hosts only' : 'plain http is not allowed',
    );
  }
  throw new FetchError('url', `protocol ${parsed.protocol} is not supported`);
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase();
  return JSON_MEDIA_TYPE.test(mediaType);
}

function decoderFor(contentEncoding: string | undefined): Transform | null | undefined {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  switch (coding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) callback(new FetchError('too-large', `body exceeds ${limit} bytes`));
      else callback(null, chunk);
    },
  });
}

function describeBodyError(error: NodeJS.ErrnoException): FetchError {
  if (error instanceof FetchError) return error;
  // zlib reports Z_DATA_ERROR and the like; brotli reports codes such as ERR__ERROR_FORMAT_PADDING_1.
  if (typeof error.code === 'string' && (error.code.startsWith('Z_') || error.code.startsWith('ERR__'))) {
    return new FetchError('encoding', 'compressed body is invalid', { cause: error });
  }
  return new FetchError('network', 'connection failed while reading the body', { cause: error });
}

function parseBody(body: Buffer): unknown {
  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text, where the strict parser refuses it (RFC 8259 section 8.1).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new FetchError('json', 'body is not valid UTF-8');
  }
  try {
    return parseStrictJson(text);
  } catch (error) {
    // StrictJsonError messages name the fault and an offset, never the input.
    throw new FetchError('json', `body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`, {
      cause: error,
    });
  }
}

/** What a fetch expects back: its `Accept` header, the media types it takes, and how the body is decoded. */
interface DocumentKind<T> {
  readonly accept: string;
  readonly isAccepted: (contentType: string | undefined) => boolean;
  readonly decode: (body: Buffer) => T;
  readonly noun: string;
}

const JSON_DOCUMENT: DocumentKind<unknown> = {
  accept: ACCEPT,
  isAccepted: isJsonMediaType,
  decode: parseBody,
  noun: 'JSON',
};

/**
 * GET a JSON document under strict limits: https only (unless allowed), no redirects, no credentials or cookies,
 * one deadline for the whole exchange, a 200 status and a JSON media type required, the decoded body capped as it
 * streams in, and strict JSON parsing (duplicate members refused, depth bounded).
 * @throws FetchError whose message is safe to log
 */
export function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<unknown> {
  return fetchDocument(url, options, JSON_DOCUMENT);
}

/**
 * GET a binary document (such as a CRL) under the same limits as {@link fetchJson}; the response must have one of
 * `mediaTypes` (compared without parameters, case-insensitively).
 * @throws FetchError whose message is safe to log
 */
export function fetchBinary(
  url: string,
  mediaTypes: readonly string[],
  options: FetchJsonOptions = {},
): Promise<Buffer> {
  return fetchDocument(url, options, {
    accept: mediaTypes.join(', '),
    isAccepted: (contentType) =>
      contentType !== undefined && mediaTypes.includes(contentType.split(';', 1)[0].trim().toLowerCase()),
    decode: (body) => body,
    noun: mediaTypes.join(' or '),
  });
}

function fetchDocument<T>(url: string, options: FetchJsonOptions, kind: DocumentKind<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? REMOTE_JWKS_DEFAULTS.timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? REMOTE_JWKS_DEFAULTS.maxBodyBytes;
  let target: URL;
  try {
    target = checkFetchUrl(url, options.allowInsecureHttp ?? false);
  } catch (error) {
    return Promise.reject(error);
  }
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new FetchError('aborted', 'request aborted'));

  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let request: ClientRequest | undefined;

    const onAbort = (): void => finish(new FetchError('aborted', 'request aborted'));
    const timer = setTimeout(
      () => finish(new FetchError('timeout', `no complete response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });

    function finish(error: FetchError | undefined, value?: T): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Destroying the request destroys the socket too: a slow or oversized body stops costing anything.
      request?.destroy();
      if (error) reject(error);
      else resolve(value as T);
    }

    function onResponse(response: IncomingMessage): void {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        const message =
          status >= 300 && status < 400 ? `redirect (status ${status}) not followed` : `unexpected status ${status}`;
        return finish(new FetchError('status', message));
      }
      if (!kind.isAccepted(response.headers['content-type'])) {
        return finish(new FetchError('content-type', `response is not ${kind.noun}`));
      }
      const decoder = decoderFor(response.headers['content-encoding']);
      if (decoder === undefined) return finish(new FetchError('encoding', 'unsupported content encoding'));
      const declaredLength = Number(response.headers['content-length'] ?? NaN);
      if (decoder === null && declaredLength > maxBodyBytes) {
        return finish(new FetchError('too-large', `body exceeds ${maxBodyBytes} bytes`));
      }

      const chunks: Buffer[] = [];
      let size = 0;
      const sink = new Writable({
        write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
          size += chunk.length;
          // Counted after decompression, so a small gzip bomb is cut as soon as it inflates past the cap.
          if (size > maxBodyBytes) return callback(new FetchError('too-large', `body exceeds ${maxBodyBytes} bytes`));
          chunks.push(chunk);
          callback();
        },
      });
      const stages =
        decoder === null
          ? [response, sink]
          : [response, byteLimit(maxBodyBytes + COMPRESSED_SLACK_BYTES), decoder, sink];
      pipeline(stages, (error) => {
        if (settled) return;
        if (error) return finish(describeBodyError(error));
        try {
          finish(undefined, kind.decode(Buffer.concat(chunks, size)));
        } catch (parseError) {
          finish(parseError as FetchError);
        }
      });
    }

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    try {
      request = send(
        target,
        {
          method: 'GET',
          // A private agent: no pooled sockets shared with the application and no global agent settings inherited.
          agent: false,
          headers: { accept: kind.accept, 'accept-encoding': ACCEPT_ENCODING, 'user-agent': '@nest-sso/jwt-auth' },
        },
        onResponse,
      );
    } catch (error) {
      return finish(new FetchError('network', 'request could not be sent', { cause: error }));
    }
    request.on('error', (error: NodeJS.ErrnoException) => {
      finish(
        new FetchError('network', `network error (${typeof error.code === 'string' ? error.code : 'unknown'})`, {
          cause: error,
        }),
      );
    });
    request.end();
  });
}
