import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { logSafe } from '../errors/log-safe';
import { isJsonObject, parseStrictJson } from '../json/strict-json';
import { importJwk, importJwkSet, type JwkImportOptions } from './jwk';
import type { KeyLookup, KeySource, KeySourceState } from './key-source.interface';
import { KeyRejectedError, toVerificationKey, type VerificationKey } from './verification-key';

/** What a static key can be configured as (see `StaticKeyInput` in the verifier options for the accepted shapes). */
export type StaticKeyValue = string | KeyObject | object;

const NO_KEYS: readonly VerificationKey[] = Object.freeze([]);

/** Well-known placeholder secrets seen in tutorials and leaked configs; refused even when long enough. */
const WEAK_SECRETS = new Set([
  'your-256-bit-secret',
  'your-384-bit-secret',
  'your-512-bit-secret',
  'secret',
  'secretkey',
  'secret-key',
  'jwt-secret',
  'jwtsecret',
  'changeme',
  'change-me',
  'password',
  'mysecret',
  'supersecret',
  'shhhhh',
  'keyboard cat',
]);

function fromPem(
  pem: string,
  kid: string | undefined,
  alg: string | undefined,
  options: JwkImportOptions,
): VerificationKey {
  if (!pem.includes('-----BEGIN')) throw new KeyRejectedError('a key string must be PEM (use { path } for a file)');
  // createPublicKey would quietly derive the public half of a private key; a verifier has no business holding one.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
    throw new KeyRejectedError('a private key was configured; configure the public key or certificate');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new KeyRejectedError('PEM is not an SPKI public key, PKCS#1 RSA public key or X.509 certificate');
  }
  return toVerificationKey(key, kid, alg, options.algorithms, options);
}

function fromJsonText(text: string, options: JwkImportOptions): VerificationKey[] {
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch {
    throw new KeyRejectedError('file is neither PEM nor a JSON JWK / JWKS');
  }
  return fromValue(value as StaticKeyValue, options);
}

function fromValue(input: StaticKeyValue, options: JwkImportOptions): VerificationKey[] {
  if (typeof input === 'string') return [fromPem(input, undefined, undefined, options)];
  if (input instanceof KeyObject) return [toVerificationKey(input, undefined, undefined, options.algorithms, options)];
  if (!isJsonObject(input)) throw new KeyRejectedError('unsupported key input');
  if (typeof input['path'] === 'string') {
    const text = readFileSync(input['path'], 'utf8');
    return text.includes('-----BEGIN') ? [fromPem(text, undefined, undefined, options)] : fromJsonText(text, options);
  }
  if ('key' in input) {
    const { key, kid, alg } = input as { key: unknown; kid?: string; alg?: string };
    if (typeof key === 'string') return [fromPem(key, kid, alg, options)];
    if (key instanceof KeyObject) return [toVerificationKey(key, kid, alg, options.algorithms, options)];
    throw new KeyRejectedError('"key" must be a PEM string or a KeyObject');
  }
  if ('keys' in input) {
    const { keys, rejected } = importJwkSet(input, options);
    if (rejected.length > 0) {
      const first = rejected[0];
      throw new KeyRejectedError(
        `JWKS member ${first.index}${first.kid ? ` (kid ${logSafe(first.kid)})` : ''} is unusable: ${first.reason}`,
      );
    }
    return [...keys];
  }
  return [importJwk(input, options)];
}

/**
 * Import locally configured keys (PEM, certificate, `KeyObject`, JWK, JWKS, or a file with any of these).
 * Unlike a fetched JWKS, an unusable configured key is an error: the service must not boot on a half-read config.
 * @throws KeyRejectedError
 */
export function importStaticKeys(inputs: readonly StaticKeyValue[], options: JwkImportOptions = {}): VerificationKey[] {
  return inputs.flatMap((input) => fromValue(input, options));
}

/**
 * Import an HMAC secret: at least as long as the shortest allowed hash output, not empty, not a well-known
 * placeholder, not a run of one repeated character.
 * @throws KeyRejectedError
 */
export function importHmacSecret(secret: string | Buffer | KeyObject, options: JwkImportOptions = {}): VerificationKey {
  if (secret instanceof KeyObject && secret.type !== 'secret')
    throw new KeyRejectedError('an HMAC secret must be a secret KeyObject');
  let key: KeyObject;
  {
    // A KeyObject gets the same strength checks as raw bytes.
    const bytes =
      secret instanceof KeyObject
        ? secret.export()
        : typeof secret === 'string'
          ? Buffer.from(secret, 'utf8')
          : Buffer.from(secret);
    if (bytes.length === 0) throw new KeyRejectedError('the HMAC secret is empty');
    const text = bytes.toString('latin1').toLowerCase();
    if (WEAK_SECRETS.has(text) || [...WEAK_SECRETS].some((weak) => text.split(weak).every((part) => part === ''))) {
      throw new KeyRejectedError('the HMAC secret is a well-known placeholder value');
    }
    if (bytes.length < 32)
      throw new KeyRejectedError(`the HMAC secret of ${bytes.length} bytes is shorter than 32 bytes`);
    if (new Set(bytes).size < 8) throw new KeyRejectedError('the HMAC secret has fewer than 8 distinct bytes');
    key = createSecretKey(bytes);
  }
  const verificationKey = toVerificationKey(key, undefined, undefined, options.algorithms, options);
  for (const alg of options.algorithms ?? []) {
    if (alg.startsWith('HS') && !verificationKey.algorithms.has(alg as never)) {
      throw new KeyRejectedError(
        `the HMAC secret is shorter than ${alg} needs (${parseInt(alg.slice(2), 10) / 8} bytes)`,
      );
    }
  }
  return verificationKey;
}

/**
 * A key source over keys configured locally. A token with a `kid` gets the key with exactly that id; keys
 * configured without a `kid` are trusted for any token of the issuer whose `alg` they fit.
 */
export class StaticKeySource implements KeySource {
  // Candidate lists are precomputed per (kid, alg) so the hot path is two Map lookups and no allocation.
  private readonly byKid = new Map<string, Map<string, readonly VerificationKey[]>>();
  private readonly unnamedByAlg: Map<string, readonly VerificationKey[]>;
  private readonly allByAlg: Map<string, readonly VerificationKey[]>;

  constructor(private readonly keys: readonly VerificationKey[]) {
    const named = new Map<string, VerificationKey[]>();
    for (const key of keys) if (key.kid !== undefined) named.set(key.kid, [...(named.get(key.kid) ?? []), key]);
    for (const [kid, list] of named) this.byKid.set(kid, StaticKeySource.indexByAlg(list));
    this.unnamedByAlg = StaticKeySource.indexByAlg(keys.filter((key) => key.kid === undefined));
    this.allByAlg = StaticKeySource.indexByAlg(keys);
  }

  private static indexByAlg(keys: readonly VerificationKey[]): Map<string, readonly VerificationKey[]> {
    const index = new Map<string, readonly VerificationKey[]>();
    for (const key of keys)
      for (const alg of key.algorithms) index.set(alg, Object.freeze([...(index.get(alg) ?? []), key]));
    return index;
  }

  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    return this.getKeysSync(lookup);
  }

  /** Static keys are always at hand. */
  getKeysSync({ kid, alg }: KeyLookup): readonly VerificationKey[] {
    const index = kid === undefined ? this.allByAlg : (this.byKid.get(kid) ?? this.unnamedByAlg);
    return index.get(alg) ?? NO_KEYS;
  }

  getState(): KeySourceState {
    return {
      kind: 'static',
      status: 'fresh',
      keyIds: [...this.byKid.keys()],
      keyCount: this.keys.length,
      consecutiveFailures: 0,
    };
  }
}
