import { KeyObject } from 'node:crypto';
import type { VerificationKey } from '../jws/signature';
import { logSafe } from '../errors/log-safe';
import { ALGORITHMS, algorithmSpec, type JwsAlgorithm, type KeyFamily } from '../jws/algorithms';
import { KeyRejectedError } from './key-rejected.error';
import { assertUsablePublicPoint } from './public-key-point';

export type { VerificationKey };
export { KeyRejectedError };

/** Policy limits applied when a key is imported. */
export interface KeyImportPolicy {
  /** Smallest accepted RSA modulus in bits. @default 2048 */
  readonly minRsaModulusLength?: number;
}

const DEFAULT_MIN_RSA_BITS = 2048;

/**
 * The algorithms a key can verify, from its type alone.
 * RSA with a modulus below the minimum or an exponent that is even or below 3 is refused, and so are EdDSA keys of
 * small order and EC points off their curve or at infinity.
 */
export function algorithmsForKey(
  key: KeyObject,
  policy: KeyImportPolicy = {},
): { family: KeyFamily; algorithms: JwsAlgorithm[] } {
  if (key.type === 'secret') {
    const length = key.symmetricKeySize ?? 0;
    if (length === 0) throw new KeyRejectedError('HMAC secret is empty');
    const algorithms = [...ALGORITHMS.values()]
      .filter((spec) => spec.family === 'oct' && length >= (spec.minSecretLength ?? Infinity))
      .map((spec) => spec.name);
    if (algorithms.length === 0) throw new KeyRejectedError(`HMAC secret of ${length} bytes is shorter than 32 bytes`);
    return { family: 'oct', algorithms };
  }
  if (key.type !== 'public') throw new KeyRejectedError('a private key was given where a public key is required');
  // Before asymmetricKeyDetails: node:crypto aborts the process reading the details of an EC point at infinity.
  assertUsablePublicPoint(key);
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      const minBits = policy.minRsaModulusLength ?? DEFAULT_MIN_RSA_BITS;
      if (bits < minBits) throw new KeyRejectedError(`RSA modulus of ${bits} bits is below ${minBits}`);
      const e = details.publicExponent ?? 0n;
      if (e < 3n || e % 2n === 0n) throw new KeyRejectedError('RSA public exponent must be odd and at least 3');
      const pssOnly = key.asymmetricKeyType === 'rsa-pss';
      const pssHash = pssOnly ? details.hashAlgorithm : undefined;
      const algorithms = [...ALGORITHMS.values()]
        .filter((spec) => spec.family === 'rsa' && (!pssOnly || spec.pss) && (!pssHash || spec.hash === pssHash))
        .map((spec) => spec.name);
      return { family: 'rsa', algorithms };
    }
    case 'ec': {
      const spec = [...ALGORITHMS.values()].find((s) => s.family === 'ec' && s.curve === details.namedCurve);
      if (!spec) throw new KeyRejectedError(`EC curve ${String(details.namedCurve)} is not supported`);
      return { family: 'ec', algorithms: [spec.name] };
    }
    case 'ed25519':
    case 'ed448':
      return { family: 'okp', algorithms: ['EdDSA'] };
    default:
      throw new KeyRejectedError(`key type ${String(key.asymmetricKeyType)} cannot verify JWS signatures`);
  }
}

/**
 * Build a {@link VerificationKey} from an imported `KeyObject`.
 * @param declaredAlg the JWK `alg`, when present: the key then verifies that algorithm only.
 * @param allowed the issuer's algorithm allow-list.
 */
export function toVerificationKey(
  key: KeyObject,
  kid: string | undefined,
  declaredAlg: unknown,
  allowed: ReadonlySet<string> | undefined,
  policy: KeyImportPolicy = {},
): VerificationKey {
  const { family, algorithms } = algorithmsForKey(key, policy);
  let usable = algorithms;
  if (declaredAlg !== undefined) {
    if (!algorithmSpec(declaredAlg))
      throw new KeyRejectedError(`JWK alg ${logSafe(declaredAlg, 16)} is not a supported JWS algorithm`);
    if (!algorithms.includes(declaredAlg as JwsAlgorithm)) {
      throw new KeyRejectedError(
        `JWK alg ${logSafe(declaredAlg, 16)} does not fit a ${family} key of this size or curve`,
      );
    }
    usable = [declaredAlg as JwsAlgorithm];
  }
  if (allowed) usable = usable.filter((alg) => allowed.has(alg));
  if (usable.length === 0) throw new KeyRejectedError('the key fits none of the allowed algorithms');
  return Object.freeze({ kid, key, family, algorithms: new Set(usable) });
}
