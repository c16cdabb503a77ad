import { constants, createHmac, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { AlgorithmSpec, JwsAlgorithm, KeyFamily } from './algorithms';

/**
 * A key ready for the hot path: imported once into a `KeyObject`, with the exact set of algorithms it may verify.
 * The key decides the primitive; a token's `alg` only selects among these.
 */
export interface VerificationKey {
  /** The key id, used only as an exact lookup. */
  readonly kid: string | undefined;
  /** The imported key (public key, or secret key for HMAC). */
  readonly key: KeyObject;
  /** The key's family. */
  readonly family: KeyFamily;
  /** Algorithms this key may verify: fits the key type, its JWK `alg` (if any) and the issuer's allow-list. */
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
}

// node:crypto takes padding and signature encoding in an options object beside the key. A literal of one shape per
// call costs no more than looking a prepared one up per key (nanoseconds either way, against microseconds of
// verification), and leaves no per-key state to own.
function pss(key: KeyObject): { key: KeyObject; padding: number; saltLength: number } {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
}

function p1363(key: KeyObject): { key: KeyObject; dsaEncoding: 'ieee-p1363' } {
  return { key, dsaEncoding: 'ieee-p1363' };
}

const EDDSA_SIGNATURE_LENGTH: Readonly<Record<string, number>> = { ed25519: 64, ed448: 114 };

/**
 * Check one JWS signature with one key. The key decides the primitive: an algorithm outside the key's own
 * `algorithms` set is refused before any crypto, so an RSA/EC/OKP key can never be used as an HMAC secret.
 * Never throws: anything node:crypto rejects is a failed signature.
 */
export function verifySignature(
  alg: AlgorithmSpec,
  key: VerificationKey,
  signingInput: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!key.algorithms.has(alg.name)) return false;
  if (alg.signatureLength !== undefined && signature.length !== alg.signatureLength) return false;
  try {
    switch (alg.family) {
      case 'oct': {
        const mac = createHmac(alg.hash as string, key.key)
          .update(signingInput)
          .digest();
        return timingSafeEqual(mac, signature);
      }
      case 'rsa':
        // RFC 8017 8.1.2 / 8.2.2: exactly k (modulus) bytes. OpenSSL would take a PSS signature with its leading zero
        // stripped, giving one token two valid encodings. The details are read once per KeyObject (node caches them).
        if (signature.length !== ((key.key.asymmetricKeyDetails?.modulusLength ?? 0) + 7) >> 3) return false;
        return alg.pss
          ? cryptoVerify(alg.hash, signingInput, pss(key.key), signature)
          : cryptoVerify(alg.hash, signingInput, key.key, signature);
      case 'ec':
        // JWS carries ECDSA signatures as fixed-length r||s (RFC 7518 section 3.4), not DER.
        return cryptoVerify(alg.hash, signingInput, p1363(key.key), signature);
      case 'okp':
        if (signature.length !== EDDSA_SIGNATURE_LENGTH[key.key.asymmetricKeyType ?? '']) return false;
        return cryptoVerify(null, signingInput, key.key, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
