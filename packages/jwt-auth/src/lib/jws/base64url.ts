const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Sextet of each base64url character by byte value; -1 for every other byte. Shifted left and OR-ed together, a -1
// anywhere leaves the result negative, so one sign test refuses a whole group of four.
const SEXTETS = new Int32Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTETS[ALPHABET.charCodeAt(i)] = i;

/** Most bytes `length` base64url characters can decode to. */
export function base64UrlDecodedLength(length: number): number {
  return (length >> 2) * 3 + (((length & 3) * 3) >> 2);
}

/**
 * Decode the ASCII bytes `source[start, end)` as non-empty canonical unpadded base64url (RFC 7515 section 2) into
 * `target` at `offset`, and return the number of bytes written, or -1 when the range is not canonical: a byte outside
 * the 64 URL-safe characters (padding and whitespace included), a length that cannot occur (1 mod 4), or non-zero
 * unused bits in the last character. So exactly one string decodes to a given byte sequence. `target` must have room
 * for {@link base64UrlDecodedLength} bytes plus one, which may be overwritten, and must not overlap the source range
 * ahead of it.
 *
 * Plain JavaScript on purpose: Node's native base64 decoder runs AVX-512 code that, on hosts that have it, slows the
 * signature check that follows it by more than this whole function costs (decision 008). Each group of four
 * characters is stored as one big-endian 32-bit word whose last byte the next group overwrites.
 */
export function decodeBase64UrlBytes(
  source: Uint8Array,
  start: number,
  end: number,
  target: DataView,
  offset: number,
): number {
  const length = end - start;
  if (length <= 0) return -1;
  const tail = length & 3;
  if (tail === 1) return -1;
  const quads = end - tail;
  let o = offset;
  let i = start;
  for (; i < quads; i += 4) {
    const v =
      (SEXTETS[source[i]] << 18) |
      (SEXTETS[source[i + 1]] << 12) |
      (SEXTETS[source[i + 2]] << 6) |
      SEXTETS[source[i + 3]];
    if (v < 0) return -1;
    target.setUint32(o, v << 8);
    o += 3;
  }
  if (tail === 2) {
    // 12 bits carry 1 byte: the low 4 bits of the second character must be zero.
    const s1 = SEXTETS[source[i + 1]];
    const v = (SEXTETS[source[i]] << 6) | s1;
    if (v < 0 || (s1 & 0x0f) !== 0) return -1;
    target.setUint8(o, v >> 4);
    return o + 1 - offset;
  }
  if (tail === 3) {
    // 18 bits carry 2 bytes: the low 2 bits of the third character must be zero.
    const s2 = SEXTETS[source[i + 2]];
    const v = (SEXTETS[source[i]] << 12) | (SEXTETS[source[i + 1]] << 6) | s2;
    if (v < 0 || (s2 & 0x03) !== 0) return -1;
    target.setUint16(o, v >> 2);
    return o + 2 - offset;
  }
  return o - offset;
}

/** A DataView over all of `bytes`, for {@link decodeBase64UrlBytes}. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes past the text that {@link writeAscii} needs in its target. */
export const ASCII_WRITE_SLACK = 4;

/**
 * Write `text` into `target` at `offset`, one byte per character, and return true when it is all ASCII; return false
 * otherwise (the bytes written are then meaningless). `target` needs `text.length + ASCII_WRITE_SLACK` bytes from
 * `offset`.
 *
 * UTF-8 takes one byte per UTF-16 code unit exactly when every unit is ASCII, and node:buffer never writes part of a
 * character. So with 4 bytes to spare (the longest encoding of one or two units), a non-ASCII unit always makes the
 * write longer than the text. A latin1 copy alone would truncate a unit above 0xff into one that may be a valid
 * base64url character. (Buffer.byteLength would tell too, but runs AVX-512 code on hosts that have it, see decision
 * 008.)
 */
export function writeAscii(text: string, target: Buffer, offset: number): boolean {
  return target.write(text, offset, text.length + ASCII_WRITE_SLACK, 'utf8') === text.length;
}

/**
 * Decode `segment` when it is non-empty canonical unpadded base64url (RFC 7515 section 2), else return `undefined`:
 * only the 64 URL-safe characters, no `=`, no whitespace, no length that cannot occur, and zero unused low bits in the
 * last character. Exactly one string decodes to a given byte sequence: re-encoding the result gives `segment` back.
 */
export function decodeCanonicalBase64Url(segment: string): Buffer | undefined {
  // One allocation holds the decoded bytes (plus the byte decoding may overwrite) and, after them, the ASCII copy of
  // the segment, so the target never overlaps the source ahead of it. Off the hot path: nothing is kept between calls.
  const decoded = base64UrlDecodedLength(segment.length) + 1;
  const bytes = Buffer.allocUnsafe(decoded + segment.length + ASCII_WRITE_SLACK);
  if (!writeAscii(segment, bytes, decoded)) return undefined;
  const length = decodeBase64UrlBytes(bytes, decoded, decoded + segment.length, viewOf(bytes), 0);
  return length < 0 ? undefined : bytes.subarray(0, length);
}

/** Decode a segment known to be canonical base64url. */
export function decodeBase64Url(segment: string): Buffer {
  const bytes = decodeCanonicalBase64Url(segment);
  if (bytes === undefined) throw new TypeError('segment is not canonical base64url');
  return bytes;
}
