import { verify as cryptoVerify, type KeyObject } from 'node:crypto';

/** A certificate or CRL signature algorithm this validator accepts. */
export interface X509SignatureAlgorithm {
  readonly name: string;
  /** node:crypto digest, `null` for EdDSA. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** node:crypto `asymmetricKeyType` the signer's key must have. */
  readonly keyType: 'rsa' | 'ec' | 'ed25519' | 'ed448';
}

// SHA-1 and MD5 based algorithms are absent on purpose (collisions are practical: RFC 9155, SHAttered), and so is
// RSASSA-PSS, whose parameters default to SHA-1 and would need their own parsing: such signatures are refused.
const ALGORITHMS: ReadonlyMap<string, X509SignatureAlgorithm> = new Map([
  ['1.2.840.113549.1.1.11', { name: 'sha256WithRSAEncryption', hash: 'sha256', keyType: 'rsa' }],
  ['1.2.840.113549.1.1.12', { name: 'sha384WithRSAEncryption', hash: 'sha384', keyType: 'rsa' }],
  ['1.2.840.113549.1.1.13', { name: 'sha512WithRSAEncryption', hash: 'sha512', keyType: 'rsa' }],
  ['1.2.840.10045.4.3.2', { name: 'ecdsa-with-SHA256', hash: 'sha256', keyType: 'ec' }],
  ['1.2.840.10045.4.3.3', { name: 'ecdsa-with-SHA384', hash: 'sha384', keyType: 'ec' }],
  ['1.2.840.10045.4.3.4', { name: 'ecdsa-with-SHA512', hash: 'sha512', keyType: 'ec' }],
  ['1.3.101.112', { name: 'Ed25519', hash: null, keyType: 'ed25519' }],
  ['1.3.101.113', { name: 'Ed448', hash: null, keyType: 'ed448' }],
] as const);

/** The accepted signature algorithm with this OID, or `undefined` (SHA-1, MD5, PSS, unknown). */
export function signatureAlgorithmFor(oid: string): X509SignatureAlgorithm | undefined {
  return ALGORITHMS.get(oid);
}

/**
 * Verify a DER-encoded X.509 signature (ECDSA in DER form) over `signed` with `key`. Never throws.
 */
export function verifyX509Signature(
  algorithm: X509SignatureAlgorithm,
  key: KeyObject,
  signed: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (key.asymmetricKeyType !== algorithm.keyType) return false;
  try {
    return cryptoVerify(algorithm.hash, signed, key, signature);
  } catch {
    return false;
  }
}
