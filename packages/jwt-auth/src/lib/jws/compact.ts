import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import {
  ASCII_WRITE_SLACK,
  base64UrlDecodedLength,
  decodeBase64Url,
  decodeBase64UrlBytes,
  decodeCanonicalBase64Url,
  viewOf,
  writeAscii,
} from './base64url';
import { DEFAULT_MAX_JSON_DEPTH, isJsonObject, parseStrictJson, type JsonObject } from '../json/strict-json';

/** Default longest accepted token, in characters (checked before any decoding). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/** A compact JWS split and decoded, nothing verified yet. */
export interface ParsedCompactJws {
  /** The compact token as received. */
  readonly token: string;
  /** The protected header (null-prototype, frozen; shared between tokens with the same header segment). */
  readonly header: JsonObject;
  /** Where the payload segment starts in `token`; it ends at {@link signingInputLength}. */
  readonly payloadStart: number;
  /**
   * The payload decoded as UTF-8, bad sequences replaced by U+FFFD: {@link parseJsonPayload} decides, only when one
   * shows up, whether it was in the input (fine) or a replacement (malformed).
   */
  readonly payloadText: string;
  /** Length of `<header>.<payload>`, the JWS signing input, at the start of `token`. */
  readonly signingInputLength: number;
  /** Length of the decoded signature ({@link signatureOf} gives the bytes). */
  readonly signatureLength: number;
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

// Bytes that live only within one synchronous stretch of code (no await between writing and last reading them) are
// written into one process-wide buffer instead of fresh Buffers per token (decision 009): a parse leaves there the
// token's ASCII bytes, its decoded signature right after them, and its decoded payload, which becomes a string at
// once. While no other parse has run since, the signing input and signature are handed to node:crypto as views of
// those bytes; otherwise they are written again (decision 010).
// allocUnsafeSlow gives the scratch buffer an ArrayBuffer of its own, starting at offset 0; views are made on it
// directly (reading Buffer#buffer per token costs a call into the engine).
let scratch = Buffer.allocUnsafeSlow(2 * DEFAULT_MAX_TOKEN_LENGTH);
let scratchArray = scratch.buffer;
let scratchView = viewOf(scratch);
let scratchHolds: ParsedCompactJws | undefined;

// The scratch buffer with room for `size` bytes, plus the one byte past its end that decoding may overwrite.
function scratchOf(size: number): Buffer {
  if (scratch.length <= size) {
    scratch = Buffer.allocUnsafeSlow(size + 1);
    scratchArray = scratch.buffer;
    scratchView = viewOf(scratch);
  }
  scratchHolds = undefined;
  return scratch;
}

// Put `parsed`'s token bytes and signature back into the scratch buffer when another parse has used it since.
function holdInScratch(parsed: ParsedCompactJws): void {
  if (scratchHolds === parsed) return;
  const { token, signatureLength } = parsed;
  const bytes = scratchOf(token.length + signatureLength);
  bytes.write(token, 0, token.length, 'latin1');
  decodeBase64UrlBytes(bytes, parsed.signingInputLength + 1, token.length, scratchView, token.length);
  scratchHolds = parsed;
}

/**
 * The JWS signing input (`<header>.<payload>` as ASCII bytes) of a parsed token, as a view of the scratch buffer:
 * valid only until the next parse, so use it synchronously.
 */
export function signingInputOf(parsed: ParsedCompactJws): Uint8Array {
  holdInScratch(parsed);
  return new Uint8Array(scratchArray, 0, parsed.signingInputLength);
}

/** The decoded signature of a parsed token, as a view of the scratch buffer: valid only until the next parse. */
export function signatureOf(parsed: ParsedCompactJws): Uint8Array {
  holdInScratch(parsed);
  return new Uint8Array(scratchArray, parsed.token.length, parsed.signatureLength);
}

/** The payload segment of a parsed token, base64url-decoded. */
export function payloadOf(parsed: ParsedCompactJws): Buffer {
  return decodeBase64Url(parsed.token.slice(parsed.payloadStart, parsed.signingInputLength));
}

// Decode the canonical base64url bytes scratch[start, end) into the scratch buffer at `at`, and return them as UTF-8
// text with U+FFFD replacements; or return undefined when they are not canonical.
function decodeCanonicalText(start: number, end: number, at: number): string | undefined {
  const length = decodeBase64UrlBytes(scratch, start, end, scratchView, at);
  return length < 0 ? undefined : scratch.toString('utf8', at, at + length);
}

function malformed(message: string): AuthError {
  return new AuthError(AuthErrorCode.TOKEN_MALFORMED, message);
}

/**
 * Decode a base64url segment holding a UTF-8 JSON object: canonical base64url, fatal UTF-8 (a BOM is kept and then
 * refused by the JSON parser), strict JSON without duplicate members, bounded depth.
 * @throws AuthError `token_malformed`
 */
export function decodeJsonSegment(
  segment: string,
  what: 'header' | 'payload',
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): JsonObject {
  const bytes = decodeCanonicalBase64Url(segment);
  if (bytes === undefined) throw malformed(`JWS ${what} is not canonical base64url`);
  return parseJsonText(decodeStrictText(bytes, what), what, maxDepth);
}

// UTF-8 text, decoded fatally.
function decodeStrictText(bytes: Buffer, what: 'header' | 'payload'): string {
  try {
    return decodeUtf8Fatal(bytes);
  } catch {
    throw malformed(`JWS ${what} is not a strict UTF-8 JSON object`);
  }
}

function parseJsonText(text: string, what: 'header' | 'payload', maxDepth: number): JsonObject {
  let value: unknown;
  try {
    value = parseStrictJson(text, maxDepth);
  } catch {
    throw malformed(`JWS ${what} is not a strict UTF-8 JSON object`);
  }
  if (!isJsonObject(value)) throw malformed(`JWS ${what} is not a JSON object`);
  return value;
}

/**
 * Parse the payload of a parsed token as a UTF-8 JSON object: fatal UTF-8 (a BOM is kept and then refused by the
 * JSON parser), strict JSON without duplicate members, bounded depth.
 * @throws AuthError `token_malformed`
 */
export function parseJsonPayload(parsed: ParsedCompactJws, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonObject {
  // Only a U+FFFD in the lenient decoding can hide a bad sequence; then the fatal decoder has the last word.
  const text = parsed.payloadText.includes('\ufffd')
    ? decodeStrictText(payloadOf(parsed), 'payload')
    : parsed.payloadText;
  return parseJsonText(text, 'payload', maxDepth);
}

// Tokens from one issuer repeat a handful of header segments; caching their parse keeps it off the hot path.
// Bounded, and only successful parses are kept, so hostile headers cannot grow it.
// The last header seen is checked first by comparing it, which spares hashing the segment for the Map.
const HEADER_CACHE_LIMIT = 256;
const headerCache = new Map<string, JsonObject>();
let lastHeaderSegment = '';
let lastHeader: JsonObject | undefined;

function parseHeader(token: string, end: number, maxDepth: number): JsonObject {
  // A slice and === costs a third of startsWith on the sliced strings that HTTP headers give (measured, decision 010).
  const segment = token.slice(0, end);
  if (lastHeader !== undefined && segment === lastHeaderSegment) return lastHeader;
  let header = headerCache.get(segment);
  if (header === undefined) {
    header = Object.freeze(decodeJsonSegment(segment, 'header', maxDepth));
    if (headerCache.size >= HEADER_CACHE_LIMIT) headerCache.clear();
    headerCache.set(segment, header);
  }
  lastHeaderSegment = segment;
  lastHeader = header;
  return header;
}

// The error for a token with more than three segments (five: JWE), or undefined for three.
function segmentCountError(token: string, second: number): AuthError | undefined {
  if (token.indexOf('.', second + 1) < 0) return undefined;
  if (token.split('.').length === 5)
    return new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'encrypted tokens (JWE) are not accepted');
  return malformed('token is not a compact JWS (three segments)');
}

/**
 * Split a JWS in compact serialization (RFC 7515 section 7.1) and decode its header and signature.
 * Exactly three non-empty canonical base64url segments; five segments (JWE) are refused as unsupported.
 * @throws AuthError `token_malformed`, `token_too_large` or `token_unsupported`
 */
export function parseCompactJws(token: unknown, options: CompactParseOptions = {}): ParsedCompactJws {
  if (typeof token !== 'string' || token.length === 0) throw malformed('token is not a non-empty string');
  const maxLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (token.length > maxLength)
    throw new AuthError(AuthErrorCode.TOKEN_TOO_LARGE, `token is longer than ${maxLength} characters`);
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0) throw malformed('token is not a compact JWS (three segments)');
  // A further '.' would sit in the signature segment, which then fails to decode: the segment count is only looked at
  // when something fails, and it is reported first (decision 010).
  // An ASCII token is its own bytes: both segments are decoded from one copy of them in the scratch buffer, instead of
  // one native decode each (decision 010).
  const length = token.length;
  const signatureLength = base64UrlDecodedLength(length - second - 1);
  const bytes = scratchOf(
    length + Math.max(ASCII_WRITE_SLACK, signatureLength + base64UrlDecodedLength(second - first - 1)),
  );
  if (!writeAscii(token, bytes, 0))
    throw segmentCountError(token, second) ?? malformed('token is not a compact JWS (non-ASCII characters)');
  const payloadText = decodeCanonicalText(first + 1, second, length + signatureLength);
  if (payloadText === undefined)
    throw segmentCountError(token, second) ?? malformed('JWS payload is not canonical base64url');
  if (decodeBase64UrlBytes(bytes, second + 1, length, scratchView, length) !== signatureLength) {
    throw segmentCountError(token, second) ?? malformed('JWS signature is missing or not canonical base64url');
  }
  const header = parseHeader(token, first, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  const parsed: ParsedCompactJws = {
    token,
    header,
    payloadStart: first + 1,
    payloadText,
    signingInputLength: second,
    signatureLength,
  };
  scratchHolds = parsed;
  return parsed;
}
