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

/** Decode a segment already checked by {@link isCanonicalBase64Url}. */
export function decodeBase64Url(segment: string): Buffer {
  return Buffer.from(segment, 'base64url');
}
