import { constants, createHmac, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import { base64UrlDecodedLength, decodeBase64UrlBytes, viewOf } from '../src/lib/jws/base64url';
import type { TokenSet } from './core.bench';

// The key as node:crypto takes it for the set's algorithm, built once: PSS padding for PS256, r||s for ES256.
function verifyKeyInput(set: TokenSet): Parameters<typeof cryptoVerify>[2] {
  switch (set.alg) {
    case 'PS256':
      return {
        key: set.verifyKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      };
    case 'ES256':
      return { key: set.verifyKey, dsaEncoding: 'ieee-p1363' };
    default:
      return set.verifyKey;
  }
}

/** The bare signature check the floor verifiers use, on the same terms as the core's. */
export function signatureCheck(set: TokenSet): (data: Uint8Array, signature: Uint8Array) => boolean {
  const input = verifyKeyInput(set);
  switch (set.alg) {
    case 'EdDSA':
      return (data, signature) => cryptoVerify(null, data, input, signature);
    case 'HS256':
      return (data, signature) =>
        signature.length === 32 &&
        timingSafeEqual(createHmac('sha256', set.verifyKey).update(data).digest(), signature);
    default:
      return (data, signature) => cryptoVerify('sha256', data, input, signature);
  }
}

/**
 * A verifier with no checks beyond the signature, `alg` and `exp`: split, decode (with the package's base64url decoder,
 * the faster one, see decision 008), JSON.parse, crypto.verify. Accepts duplicate members, non-canonical JSON, any
 * `typ`, `iss` or `aud`: never use it. It only measures how close to bare crypto.verify a verifier can get, and it is
 * the floor the core's `floor_ratio` is measured against.
 */
export function noChecksVerifier(set: TokenSet): (token: string) => void {
  const check = signatureCheck(set);
  let scratch = Buffer.allocUnsafe(16384);
  let view = viewOf(scratch);
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const n = token.length;
    if (scratch.length < 3 * n) {
      scratch = Buffer.allocUnsafe(3 * n);
      view = viewOf(scratch);
    }
    scratch.write(token, 0, n, 'latin1');
    const headerLength = decodeBase64UrlBytes(scratch, 0, first, view, n);
    const header = JSON.parse(scratch.toString('latin1', n, n + headerLength)) as { alg?: string };
    const payloadLength = decodeBase64UrlBytes(scratch, first + 1, second, view, n);
    const payload = JSON.parse(scratch.toString('utf8', n, n + payloadLength)) as { exp?: number };
    const signatureLength = decodeBase64UrlBytes(scratch, second + 1, n, view, n);
    if (header.alg !== set.alg || signatureLength !== base64UrlDecodedLength(n - second - 1))
      throw new Error('bad token');
    const data = new Uint8Array(scratch.buffer, scratch.byteOffset, second);
    const signature = new Uint8Array(scratch.buffer, scratch.byteOffset + n, signatureLength);
    if (!check(data, signature)) throw new Error('bad signature');
    if (!(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000)) throw new Error('expired');
  };
}
