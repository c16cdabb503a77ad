/** Asymmetric JWS algorithms (RFC 7518 section 3, RFC 8037). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** HMAC JWS algorithms; usable only with secrets configured locally. */
export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** Every JWS algorithm this package can verify. `none` is not one of them and never will be. */
export const SUPPORTED_ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS] as const;

/** An asymmetric JWS algorithm name. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
/** An HMAC JWS algorithm name. */
export type SymmetricAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number];
/** A JWS algorithm name this package can verify. */
export type JwsAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** The key family an algorithm needs: the key decides the primitive, never the token. */
export type KeyFamily = 'rsa' | 'ec' | 'okp' | 'oct';

/** What one algorithm needs from a key and how its signature is checked. */
export interface AlgorithmSpec {
  readonly name: JwsAlgorithm;
  readonly family: KeyFamily;
  /** node:crypto digest name; `null` for EdDSA (the curve fixes the hash). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSASSA-PSS rather than PKCS#1 v1.5. */
  readonly pss?: true;
  /** Required EC curve (node:crypto `namedCurve`). */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /** Exact signature length in bytes, where the algorithm fixes it (ECDSA r||s, HMAC). */
  readonly signatureLength?: number;
  /** Minimum HMAC secret length in bytes: the hash output size (RFC 7518 section 3.2). */
  readonly minSecretLength?: number;
}

const table: Record<JwsAlgorithm, AlgorithmSpec> = {
  RS256: { name: 'RS256', family: 'rsa', hash: 'sha256' },
  RS384: { name: 'RS384', family: 'rsa', hash: 'sha384' },
  RS512: { name: 'RS512', family: 'rsa', hash: 'sha512' },
  PS256: { name: 'PS256', family: 'rsa', hash: 'sha256', pss: true },
  PS384: { name: 'PS384', family: 'rsa', hash: 'sha384', pss: true },
  PS512: { name: 'PS512', family: 'rsa', hash: 'sha512', pss: true },
  ES256: { name: 'ES256', family: 'ec', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { name: 'ES384', family: 'ec', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { name: 'ES512', family: 'ec', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  EdDSA: { name: 'EdDSA', family: 'okp', hash: null },
  HS256: { name: 'HS256', family: 'oct', hash: 'sha256', signatureLength: 32, minSecretLength: 32 },
  HS384: { name: 'HS384', family: 'oct', hash: 'sha384', signatureLength: 48, minSecretLength: 48 },
  HS512: { name: 'HS512', family: 'oct', hash: 'sha512', signatureLength: 64, minSecretLength: 64 },
};

/** Frozen algorithm table, keyed by exact (case-sensitive) JWS `alg` name. */
export const ALGORITHMS: ReadonlyMap<string, AlgorithmSpec> = new Map(
  Object.values(table).map((spec) => [spec.name, Object.freeze(spec)]),
);

/** The spec of `alg` when it is an exactly-spelled supported algorithm, else `undefined`. */
export function algorithmSpec(alg: unknown): AlgorithmSpec | undefined {
  return typeof alg === 'string' ? ALGORITHMS.get(alg) : undefined;
}

/** True when `alg` is an exactly-spelled supported algorithm name. */
export function isSupportedAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return algorithmSpec(alg) !== undefined;
}

/** True for HS256/384/512. */
export function isSymmetricAlgorithm(alg: string): alg is SymmetricAlgorithm {
  return ALGORITHMS.get(alg)?.family === 'oct';
}
