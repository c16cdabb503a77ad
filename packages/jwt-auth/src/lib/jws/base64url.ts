const SEGMENT = /^[A-Za-z0-9_-]+$/;

// Value of each base64url character, for the canonical-encoding check on the last character.
const VALUES = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (VALUES[c.charCodeAt(0)] = i));

/**
 * True when `segment` is non-empty canonical unpadded base64url (RFC 7515 section 2): only the 64 URL-safe
 * characters, no `=`, no whitespace, no length that cannot occur, and zero bits in the unused low bits of the last
 * character, so that exactly one string encodes a given byte sequence (re-encoding gives the input back).
 */
export function isCanonicalBase64Url(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false;
  const rem = segment.length & 3;
  if (rem === 0) return true;
  if (rem === 1) return false;
  const last = VALUES[segment.charCodeAt(segment.length - 1)];
  return rem === 2 ? (last & 0x0f) === 0 : (last & 0x03) === 0;
}

/**
 * Decode `segment` when it is non-empty canonical unpadded base64url, else return `undefined`: the same set of
 * strings {@link isCanonicalBase64Url} accepts, found by re-encoding the decoded bytes. The encoder only ever
 * produces canonical strings, so the check holds however leniently the decoder treats bad input; and on the hot path
 * it is cheaper than a character scan, because the bytes are needed anyway (decision 009).
 */
export function decodeCanonicalBase64Url(segment: string): Buffer | undefined {
  if (segment.length === 0) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

/** Decode a segment already checked by {@link isCanonicalBase64Url}. */
export function decodeBase64Url(segment: string): Buffer {
  return Buffer.from(segment, 'base64url');
}
