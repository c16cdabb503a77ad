import { createPublicKey } from 'node:crypto';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { KeyLookup, KeySource, KeySourceState } from './key-source.interface';
import { toVerificationKey, type VerificationKey } from './verification-key';

/** The part of a jwks-rsa `SigningKey` this adapter uses. */
export interface JwksRsaSigningKey {
  /** The JWK `kid`. */
  readonly kid?: string;
  /** The JWK `alg`, when the JWKS declares one. */
  readonly alg?: string;
  /** The public key as SPKI PEM. */
  getPublicKey(): string;
}

/** The part of a jwks-rsa `JwksClient` this adapter uses (structural, so jwks-rsa stays an optional peer). */
export interface JwksRsaClient {
  /** The key with this `kid`; rejects with `SigningKeyNotFoundError` when there is none. */
  getSigningKey(kid?: string | null): Promise<JwksRsaSigningKey>;
  /** Every signing key of the set. */
  getSigningKeys(): Promise<JwksRsaSigningKey[]>;
}

/** Options of {@link JwksRsaKeySource}. */
export interface JwksRsaKeySourceOptions {
  /** The issuer's algorithm allow-list; keys fitting none of it are dropped. @default every algorithm the key fits */
  readonly algorithms?: readonly string[];
  /** The JWKS URL, reported in the state only. */
  readonly url?: string;
}

/**
 * A {@link KeySource} over an existing jwks-rsa `JwksClient` (its caching and rate limiting apply); every key still
 * passes the core's key policy (`toVerificationKey`). Prefer the built-in `jwksUri` unless you already run jwks-rsa.
 * @example keySource: new JwksRsaKeySource(jwksClient({ jwksUri }))
 */
export class JwksRsaKeySource implements KeySource {
  private readonly allowed: ReadonlySet<string> | undefined;
  private state: KeySourceState;

  constructor(
    private readonly client: JwksRsaClient,
    private readonly options: JwksRsaKeySourceOptions = {},
  ) {
    this.allowed = options.algorithms ? new Set(options.algorithms) : undefined;
    this.state = {
      kind: 'jwks-rsa',
      url: options.url,
      status: 'pending',
      keyIds: [],
      keyCount: 0,
      consecutiveFailures: 0,
    };
  }

  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    let signingKeys: JwksRsaSigningKey[];
    const attemptAt = Date.now();
    try {
      signingKeys =
        lookup.kid === undefined ? await this.client.getSigningKeys() : [await this.client.getSigningKey(lookup.kid)];
    } catch (error) {
      // jwks-rsa reports an unknown kid as SigningKeyNotFoundError: that is "no key", not an outage.
      if (error instanceof Error && error.name === 'SigningKeyNotFoundError') return [];
      const message = error instanceof Error ? error.message : 'JWKS fetch failed';
      this.state = {
        ...this.state,
        status: 'failing',
        lastAttemptAt: attemptAt,
        lastError: message,
        consecutiveFailures: this.state.consecutiveFailures + 1,
      };
      throw new AuthError(AuthErrorCode.KEYS_UNAVAILABLE, 'The issuer keys could not be obtained');
    }
    const keys: VerificationKey[] = [];
    const rejected: { kid?: string; reason: string }[] = [];
    for (const signingKey of signingKeys) {
      try {
        const key = this.imported(signingKey);
        if (key.algorithms.has(lookup.alg as never)) keys.push(key);
      } catch (error) {
        rejected.push({ kid: signingKey.kid, reason: error instanceof Error ? error.message : 'unusable key' });
      }
    }
    this.state = {
      ...this.state,
      status: 'fresh',
      lastAttemptAt: attemptAt,
      lastSuccessAt: attemptAt,
      lastError: undefined,
      consecutiveFailures: 0,
      keyIds: keys.flatMap((k) => (k.kid === undefined ? [] : [k.kid])),
      keyCount: keys.length,
      rejectedKeys: rejected.length > 0 ? rejected : undefined,
    };
    return keys;
  }

  getState(): KeySourceState {
    return this.state;
  }

  // jwks-rsa hands back fresh objects on every call; importing each PEM once keeps the hot path free of key parsing
  // and gives stable key identities, so the verifier's verified-token cache can hit. Bounded like a JWKS (100 keys).
  private readonly importedKeys = new Map<string, VerificationKey>();

  private imported(signingKey: JwksRsaSigningKey): VerificationKey {
    const pem = signingKey.getPublicKey();
    const id = `${signingKey.kid ?? ''}\u0000${signingKey.alg ?? ''}\u0000${pem}`;
    let key = this.importedKeys.get(id);
    if (!key) {
      key = toVerificationKey(createPublicKey(pem), signingKey.kid, signingKey.alg, this.allowed);
      if (this.importedKeys.size >= 100) this.importedKeys.clear();
      this.importedKeys.set(id, key);
    }
    return key;
  }
}
