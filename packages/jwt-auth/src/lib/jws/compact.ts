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
import { DEFAULT_MAX_JSON_DEPTH, isJsonObject, StrictJsonReader, type JsonObject } from '../json/strict-json';

/** Default longest accepted token, in characters (checked before any decoding). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;

/** A compact JWS split and decoded by a {@link TokenParser}, nothing verified yet. */
export interface ParsedCompactJws {
  /** The compact token as received. */
  readonly token: string;
  /**
   * The header segment. Tokens with equal header segments get the same string from one parser, so a memo keyed by it
   * compares by pointer on a hit; equality is by value all the same.
   */
  readonly headerSegment: string;
  /** The protected header (null-prototype, frozen; shared between this parser's tokens with the same header segment). */
  readonly header: JsonObject;
  /** Where the payload segment starts in `token`; it ends at {@link signingInputLength}. */
  readonly payloadStart: number;
  /**
   * The payload decoded as UTF-8, bad sequences replaced by U+FFFD: {@link TokenParser.parsePayload} decides, only when one
   * shows up, whether it was in the input (fine) or a replacement (malformed).
   */
  readonly payloadText: string;
  /** Length of `<header>.<payload>`, the JWS signing input, at the start of `token`. */
  readonly signingInputLength: number;
  /** Length of the decoded signature ({@link TokenParser.withSignedBytes} gives the bytes). */
  readonly signatureLength: number;
}

/** Limits of a {@link TokenParser}. */
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

/** The payload segment of a parsed token, base64url-decoded. */
export function payloadOf(parsed: ParsedCompactJws): Buffer {
  return decodeBase64Url(parsed.token.slice(parsed.payloadStart, parsed.signingInputLength));
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
  reader = new StrictJsonReader(),
): JsonObject {
  const bytes = decodeCanonicalBase64Url(segment);
  if (bytes === undefined) throw malformed(`JWS ${what} is not canonical base64url`);
  return parseJsonText(reader, decodeStrictText(bytes, what), what, maxDepth);
}

// UTF-8 text, decoded fatally.
function decodeStrictText(bytes: Buffer, what: 'header' | 'payload'): string {
  try {
    return decodeUtf8Fatal(bytes);
  } catch {
    throw malformed(`JWS ${what} is not a strict UTF-8 JSON object`);
  }
}

function parseJsonText(
  reader: StrictJsonReader,
  text: string,
  what: 'header' | 'payload',
  maxDepth: number,
): JsonObject {
  let value: unknown;
  try {
    value = reader.parse(text, maxDepth);
  } catch {
    throw malformed(`JWS ${what} is not a strict UTF-8 JSON object`);
  }
  if (!isJsonObject(value)) throw malformed(`JWS ${what} is not a JSON object`);
  return value;
}

// The error for a token with more than three segments (five: JWE), or undefined for three.
function segmentCountError(token: string, second: number): AuthError | undefined {
  if (token.indexOf('.', second + 1) < 0) return undefined;
  if (token.split('.').length === 5)
    return new AuthError(AuthErrorCode.TOKEN_UNSUPPORTED, 'encrypted tokens (JWE) are not accepted');
  return malformed('token is not a compact JWS (three segments)');
}

// Tokens from one issuer repeat a handful of header segments; caching their parse keeps it off the hot path. Bounded,
// and only successful parses are kept, so hostile headers cannot grow it.
const HEADER_CACHE_LIMIT = 256;

/** A protected header as a {@link TokenParser} caches it: the segment string every later hit hands out, and its parse. */
interface CachedHeader {
  readonly segment: string;
  readonly header: JsonObject;
}

/**
 * Splits and decodes compact JWS tokens (RFC 7515 section 7.1) for one owner, normally one verifier, and owns
 * everything that makes that cheap: a scratch buffer, the parsed-header cache and a {@link StrictJsonReader} with its
 * name cache. Nothing is shared between parsers, and what a parse returns depends only on the token and the limits.
 *
 * A parse writes the token's ASCII bytes into the scratch buffer, its decoded signature right after them, and its
 * decoded payload, which becomes a string at once. The signing input and signature reach node:crypto only through
 * {@link withSignedBytes}, as views of those bytes that live for that call, so no view outlives the bytes it shows.
 */
export class TokenParser {
  private readonly maxTokenLength: number;
  private readonly maxJsonDepth: number;
  private readonly json = new StrictJsonReader();
  // allocUnsafeSlow gives the scratch buffer an ArrayBuffer of its own, starting at offset 0; views are made on it
  // directly (reading Buffer#buffer per token costs a call into the engine). It grows to the longest token seen.
  private scratch = Buffer.allocUnsafeSlow(0);
  private scratchArray = this.scratch.buffer;
  private scratchView = viewOf(this.scratch);
  // The parse whose bytes the scratch buffer holds; another parse (of an await-ing verification, say) may have
  // overwritten them since, and then they are written again before use.
  private scratchHolds: ParsedCompactJws | undefined;
  private readonly headers = new Map<string, CachedHeader>();
  // The last header seen is checked first by comparing its segment, which spares hashing the segment for the Map.
  private lastHeader: CachedHeader | undefined;

  constructor(options: CompactParseOptions = {}) {
    this.maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    this.maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  }

  /**
   * Split a JWS in compact serialization and decode its header and signature. Exactly three non-empty canonical
   * base64url segments; five segments (JWE) are refused as unsupported.
   * @throws AuthError `token_malformed`, `token_too_large` or `token_unsupported`
   */
  parse(token: unknown): ParsedCompactJws {
    if (typeof token !== 'string' || token.length === 0) throw malformed('token is not a non-empty string');
    const maxLength = this.maxTokenLength;
    if (token.length > maxLength)
      throw new AuthError(AuthErrorCode.TOKEN_TOO_LARGE, `token is longer than ${maxLength} characters`);
    const first = token.indexOf('.');
    const second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0) throw malformed('token is not a compact JWS (three segments)');
    // A further '.' would sit in the signature segment, which then fails to decode: the segment count is only looked
    // at when something fails, and it is reported first.
    // An ASCII token is its own bytes: both segments are decoded from one copy of them in the scratch buffer, instead
    // of one native decode each (decision 008).
    const length = token.length;
    const signatureLength = base64UrlDecodedLength(length - second - 1);
    const bytes = this.scratchOf(
      length + Math.max(ASCII_WRITE_SLACK, signatureLength + base64UrlDecodedLength(second - first - 1)),
    );
    if (!writeAscii(token, bytes, 0))
      throw segmentCountError(token, second) ?? malformed('token is not a compact JWS (non-ASCII characters)');
    const payloadText = this.decodeCanonicalText(first + 1, second, length + signatureLength);
    if (payloadText === undefined)
      throw segmentCountError(token, second) ?? malformed('JWS payload is not canonical base64url');
    if (decodeBase64UrlBytes(bytes, second + 1, length, this.scratchView, length) !== signatureLength) {
      throw segmentCountError(token, second) ?? malformed('JWS signature is missing or not canonical base64url');
    }
    const { segment, header } = this.headerOf(token, first);
    const parsed: ParsedCompactJws = {
      token,
      headerSegment: segment,
      header,
      payloadStart: first + 1,
      payloadText,
      signingInputLength: second,
      signatureLength,
    };
    this.scratchHolds = parsed;
    return parsed;
  }

  /**
   * Parse the payload of a token this parser parsed as a UTF-8 JSON object: fatal UTF-8 (a BOM is kept and then
   * refused by the JSON parser), strict JSON without duplicate members, bounded depth.
   * @throws AuthError `token_malformed`
   */
  parsePayload(parsed: ParsedCompactJws): JsonObject {
    // Only a U+FFFD in the lenient decoding can hide a bad sequence; then the fatal decoder has the last word.
    const text = parsed.payloadText.includes('\ufffd')
      ? decodeStrictText(payloadOf(parsed), 'payload')
      : parsed.payloadText;
    return parseJsonText(this.json, text, 'payload', this.maxJsonDepth);
  }

  /**
   * Call `use` with the JWS signing input (`<header>.<payload>` as ASCII bytes) and the decoded signature of a token
   * this parser parsed, and return its answer. Both are views of the scratch buffer, valid during the call only: the
   * callback hands them to node:crypto and keeps nothing, and its answer cannot carry them out.
   */
  withSignedBytes(
    parsed: ParsedCompactJws,
    use: (signingInput: Uint8Array, signature: Uint8Array) => boolean,
  ): boolean {
    this.holdInScratch(parsed);
    const array = this.scratchArray;
    const { token, signingInputLength, signatureLength } = parsed;
    return use(new Uint8Array(array, 0, signingInputLength), new Uint8Array(array, token.length, signatureLength));
  }

  // The scratch buffer with room for `size` bytes, plus the one byte past its end that decoding may overwrite.
  private scratchOf(size: number): Buffer {
    if (this.scratch.length <= size) {
      // Grown to at least the default limit at once, so ordinary tokens never grow it again.
      const scratch = Buffer.allocUnsafeSlow(Math.max(size + 1, 2 * DEFAULT_MAX_TOKEN_LENGTH));
      this.scratch = scratch;
      this.scratchArray = scratch.buffer;
      this.scratchView = viewOf(scratch);
    }
    this.scratchHolds = undefined;
    return this.scratch;
  }

  // Put `parsed`'s token bytes and signature back into the scratch buffer when another parse has used it since.
  private holdInScratch(parsed: ParsedCompactJws): void {
    if (this.scratchHolds === parsed) return;
    const { token, signatureLength } = parsed;
    const bytes = this.scratchOf(token.length + signatureLength);
    bytes.write(token, 0, token.length, 'latin1');
    decodeBase64UrlBytes(bytes, parsed.signingInputLength + 1, token.length, this.scratchView, token.length);
    this.scratchHolds = parsed;
  }

  // Decode the canonical base64url bytes scratch[start, end) into the scratch buffer at `at`, and return them as
  // UTF-8 text with U+FFFD replacements; or return undefined when they are not canonical.
  private decodeCanonicalText(start: number, end: number, at: number): string | undefined {
    const length = decodeBase64UrlBytes(this.scratch, start, end, this.scratchView, at);
    return length < 0 ? undefined : this.scratch.toString('utf8', at, at + length);
  }

  // The header segment token[0, end) and its parse, cached by the segment; the parse depends on nothing else but
  // this parser's depth limit, which is fixed.
  private headerOf(token: string, end: number): CachedHeader {
    // A slice and === costs a third of startsWith on the sliced strings that HTTP headers give.
    const segment = token.slice(0, end);
    const last = this.lastHeader;
    if (last !== undefined && segment === last.segment) return last;
    let cached = this.headers.get(segment);
    if (cached === undefined) {
      cached = Object.freeze({
        segment,
        header: Object.freeze(decodeJsonSegment(segment, 'header', this.maxJsonDepth, this.json)),
      });
      if (this.headers.size >= HEADER_CACHE_LIMIT) this.headers.clear();
      this.headers.set(segment, cached);
    }
    this.lastHeader = cached;
    return cached;
  }
}
