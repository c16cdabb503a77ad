import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { decodeBase64Url, isCanonicalBase64Url } from './base64url';
import { DEFAULT_MAX_JSON_DEPTH, isJsonObject, parseStrictJson, type JsonObject } from './strict-json';

/** Default longest accepted token, in characters (checked before any decoding). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/** A compact JWS split and decoded, nothing verified yet. */
export interface ParsedCompactJws {
  /** The protected header (null-prototype, frozen; shared between tokens with the same header segment). */
  readonly header: JsonObject;
  /** The base64url payload segment as received. */
  readonly payloadSegment: string;
  /** ASCII bytes of `<header>.<payload>`, the JWS signing input. */
  readonly signingInput: Buffer;
  /** The decoded signature bytes. */
  readonly signature: Buffer;
}

/** Limits for {@link parseCompactJws}. */
export interface CompactParseOptions {
  /** @default 8192 */
  readonly maxTokenLength?: number;
  /** @default 20 */
  readonly maxJsonDepth?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Buffer#toString is several times faster than TextDecoder but replaces bad sequences with U+FFFD; only when a
// U+FFFD shows up is the fatal decoder asked whether it was real input or a replacement.
function decodeUtf8Fatal(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.includes('\ufffd') ? utf8.decode(bytes) : text;
}

function malformed(message: string): AuthError {
  return new AuthError(AuthErrorCode.TOKEN_MALFORMED, message);
}

/**
 * Decode a base64url segment holding a UTF-8 JSON object: canonical base64url, fatal UTF-8 (a BOM is kept and then
 * refused by the JSON parser), strict JSON without duplicate members, bounded depth.
 * @throws AuthError `token_malformed`
 */
export function decodeJsonSegment(segment: string, what: 'header' | 'payload', maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonObject {
  if (!isCanonicalBase64Url(segment)) throw malformed(`JWS ${what} is not canonical base64url`);
  return decodeCheckedJsonSegment(segment, what, maxDepth);
}

/** {@link decodeJsonSegment} for a segment {@link parseCompactJws} has already checked. */
export function decodeCheckedJsonSegment(segment: string, what: 'header' | 'payload', maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonObject {
  let value: unknown;
  try {
    value = parseStrictJson(decodeUtf8Fatal(decodeBase64Url(segment)), maxDepth);
  } catch {
    throw malformed(`JWS ${what} is not a strict UTF-8 JSON object`);
  }
  if (!isJsonObject(value)) throw malformed(`JWS ${what} is not a JSON object`);
  return value;
}

// Tokens from one issuer repeat a handful of header segments; caching their parse keeps it off the hot path.
// Bounded, and only successful parses are kept, so hostile headers cannot grow it.
const HEADER_CACHE_LIMIT = 256;
const headerCache = new Map<string, JsonObject>();

function parseHeader(segment: string, maxDepth: number): JsonObject {
  const cached = headerCache.get(segment);
  if (cached !== undefined) return cached;
  const header = Object.freeze(decodeJsonSegment(segment, 'header', maxDepth));
  if (headerCache.size >= HEADER_CACHE_LIMIT) headerCache.clear();
  headerCache.set(segment, header);
  return header;
}

/**
 * Split a JWS in compact serialization (RFC 7515 section 7.1) and decode its header and signature.
 * Exactly three non-empty canonical base64url segments; five segments (JWE) are refused as unsupported.
 * @throws AuthError `token_malformed`, `token_too_large` or `token_unsupported`
 */
export function parseCompactJws(token: unknown, options: CompactParseOptions = {}): ParsedCompactJws {
  if (typeof token !== 'string' || token.length === 0) throw malformed('token is not a non-empty string');
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (token.length > maxLength) throw new AuthError(AuthErrorCode.TOKEN_TOO_LARGE, `token is longer than ${maxLength} characters`);
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0) throw malformed('token is not a compact JWS (three segments)');
  if (token.indexOf('.', second + 1) >= 0) {
    if (token.split('.').length === 5) throw new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'encrypted tokens (JWE) are not accepted');
    throw malformed('token is not a compact JWS (three segments)');
  }
  const headerSegment = token.slice(0, first);
  const payloadSegment = token.slice(first + 1, second);
  const signatureSegment = token.slice(second + 1);
  if (!isCanonicalBase64Url(payloadSegment)) throw malformed('JWS payload is not canonical base64url');
  if (!isCanonicalBase64Url(signatureSegment)) throw malformed('JWS signature is missing or not canonical base64url');
  const header = parseHeader(headerSegment, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  return {
    header,
    payloadSegment,
    signingInput: Buffer.from(token.slice(0, second), 'latin1'),
    signature: decodeBase64Url(signatureSegment),
  };
}
