import { createPublicKey, createSecretKey, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import { logSafe } from '../errors/log-safe';
import { MAX_KID_LENGTH } from '../jws/header';
import { KeyRejectedError, toVerificationKey, type KeyImportPolicy, type VerificationKey } from './verification-key';

/** A JSON Web Key as found in a JWKS (RFC 7517); only public members are used. */
export interface Jwk {
  readonly kty?: unknown;
  readonly kid?: unknown;
  readonly use?: unknown;
  readonly key_ops?: unknown;
  readonly alg?: unknown;
  readonly [member: string]: unknown;
}

/** A JSON Web Key Set. */
export interface JwkSet {
  readonly keys: readonly Jwk[];
}

/** Why a JWKS member was not imported. */
export interface RejectedJwk {
  /** Position in the `keys` array. */
  readonly index: number;
  /** The member's `kid`, when it is a string. */
  readonly kid?: string;
  /** Human-readable reason, without key material. */
  readonly reason: string;
}

/** The outcome of importing a key set: the usable keys and the members dropped, with reasons. */
export interface ImportedKeySet {
  readonly keys: readonly VerificationKey[];
  readonly rejected: readonly RejectedJwk[];
}

/** Options for {@link importJwkSet} and {@link importJwk}. */
export interface JwkImportOptions extends KeyImportPolicy {
  /** Accept `kty: oct` members (local configuration only, never a fetched JWKS). @default false */
  readonly allowSymmetric?: boolean;
  /** The issuer's algorithm allow-list; keys fitting none of it are dropped. */
  readonly algorithms?: ReadonlySet<string>;
  /** Most members accepted; a larger set is refused whole. @default 100 */
  readonly maxKeys?: number;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;
const CURVES: Readonly<Record<string, true>> = { 'P-256': true, 'P-384': true, 'P-521': true };
const OKP_CURVES: Readonly<Record<string, true>> = { Ed25519: true, Ed448: true };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(jwk: Jwk, member: string): string {
  const value = jwk[member];
  if (typeof value !== 'string' || value.length === 0 || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new KeyRejectedError(`member "${member}" must be a non-empty base64url string`);
  }
  return value;
}

function importKeyMaterial(jwk: Jwk, allowSymmetric: boolean): KeyObject {
  switch (jwk.kty) {
    case 'RSA':
      // Only the public members reach node:crypto, so nothing else in the JWK can change the key.
      return createPublicKey({
        key: { kty: 'RSA', n: requireString(jwk, 'n'), e: requireString(jwk, 'e') } as NodeJwk,
        format: 'jwk',
      });
    case 'EC': {
      if (typeof jwk['crv'] !== 'string' || !CURVES[jwk['crv']])
        throw new KeyRejectedError('EC member has an unsupported "crv"');
      const key = { kty: 'EC', crv: jwk['crv'], x: requireString(jwk, 'x'), y: requireString(jwk, 'y') };
      return createPublicKey({ key: key as NodeJwk, format: 'jwk' });
    }
    case 'OKP': {
      if (typeof jwk['crv'] !== 'string' || !OKP_CURVES[jwk['crv']])
        throw new KeyRejectedError('OKP member is not an Ed25519/Ed448 signing key');
      return createPublicKey({
        key: { kty: 'OKP', crv: jwk['crv'], x: requireString(jwk, 'x') } as NodeJwk,
        format: 'jwk',
      });
    }
    case 'oct': {
      if (!allowSymmetric)
        throw new KeyRejectedError(
          'symmetric (oct) keys are never taken from a key set; configure an HMAC key with the `secret` option',
        );
      const k = jwk['k'];
      if (typeof k !== 'string' || (k.length > 0 && !/^[A-Za-z0-9_-]+$/.test(k)))
        throw new KeyRejectedError('member "k" must be base64url');
      return createSecretKey(Buffer.from(k, 'base64url'));
    }
    default:
      throw new KeyRejectedError(`unsupported "kty" ${logSafe(jwk.kty, 16)}`);
  }
}

/**
 * Import one JWK into a {@link VerificationKey}, applying the key policy of SECURITY.md: public members only,
 * `use` absent or `sig`, `key_ops` absent or with `verify`, `alg` fitting the key, RSA >= 2048 bits with an odd
 * exponent >= 3, EC curve matching the algorithm.
 * @throws KeyRejectedError with the reason.
 */
export function importJwk(jwk: unknown, options: JwkImportOptions = {}): VerificationKey {
  if (!isObject(jwk)) throw new KeyRejectedError('a JWK must be a JSON object');
  const allowSymmetric = options.allowSymmetric ?? false;
  if (jwk['kty'] !== 'oct' && (PRIVATE_MEMBERS.some((m) => m in jwk) || 'k' in jwk)) {
    throw new KeyRejectedError('member carries private key material');
  }
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') throw new KeyRejectedError('"use" is not "sig"');
  const ops = jwk['key_ops'];
  if (ops !== undefined && (!Array.isArray(ops) || !ops.includes('verify')))
    throw new KeyRejectedError('"key_ops" does not allow "verify"');
  const kid = jwk['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw new KeyRejectedError(`"kid" must be a string of 1 to ${MAX_KID_LENGTH} characters`);
  }
  let key: KeyObject;
  try {
    key = importKeyMaterial(jwk, allowSymmetric);
  } catch (error) {
    if (error instanceof KeyRejectedError) throw error;
    // node:crypto refuses points off the curve, bad lengths and the like.
    throw new KeyRejectedError('key material is invalid');
  }
  return toVerificationKey(key, kid as string | undefined, jwk['alg'], options.algorithms, options);
}

/**
 * Import a JWKS. Invalid members are dropped and reported; ambiguous members are dropped too: every member
 * sharing a `kid` with another (RFC 7517 4.5 wants kids distinct), and symmetric members of a set that also holds
 * asymmetric keys. A set that is not `{ keys: [...] }` or is larger than `maxKeys` is refused whole.
 * @throws KeyRejectedError when the set as a whole is unusable.
 */
export function importJwkSet(jwks: unknown, options: JwkImportOptions = {}): ImportedKeySet {
  if (!isObject(jwks) || !Array.isArray(jwks['keys']))
    throw new KeyRejectedError('a JWKS must be an object with a "keys" array');
  const members = jwks['keys'] as unknown[];
  const maxKeys = options.maxKeys ?? 100;
  if (members.length > maxKeys) throw new KeyRejectedError(`the JWKS has ${members.length} keys, more than ${maxKeys}`);

  const rejected: RejectedJwk[] = [];
  const imported: { index: number; key: VerificationKey }[] = [];
  members.forEach((member, index) => {
    const kid =
      isObject(member) && typeof member['kid'] === 'string' ? member['kid'].slice(0, MAX_KID_LENGTH) : undefined;
    try {
      imported.push({ index, key: importJwk(member, options) });
    } catch (error) {
      rejected.push({ index, kid, reason: error instanceof Error ? error.message : 'invalid member' });
    }
  });

  const kidCounts = new Map<string, number>();
  for (const { key } of imported) if (key.kid !== undefined) kidCounts.set(key.kid, (kidCounts.get(key.kid) ?? 0) + 1);
  const mixed = imported.some(({ key }) => key.family === 'oct') && imported.some(({ key }) => key.family !== 'oct');

  const keys: VerificationKey[] = [];
  for (const { index, key } of imported) {
    if (key.kid !== undefined && (kidCounts.get(key.kid) ?? 0) > 1) {
      rejected.push({ index, kid: key.kid, reason: 'another member has the same "kid"' });
    } else if (mixed && key.family === 'oct') {
      rejected.push({ index, kid: key.kid, reason: 'symmetric member in a set of asymmetric keys' });
    } else {
      keys.push(key);
    }
  }
  rejected.sort((a, b) => a.index - b.index);
  return { keys, rejected };
}

export { MAX_KID_LENGTH };
