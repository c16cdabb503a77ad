import {
  importJwk,
  type KeyLookup,
  type KeySource,
  type KeySourceState,
  type VerificationKey,
} from '@nest-sso/jwt-auth';
import { SigningKeyManager } from '../keys/signing-key.manager';

/**
 * The package's {@link KeySource} over this service's own published keys, read in process: the userinfo endpoint
 * verifies access tokens offline with exactly what the JWKS serves (rotation and retirement show at once), without
 * an HTTP round trip to itself.
 */
export class SigningKeyManagerKeySource implements KeySource {
  private imported = new Map<string, VerificationKey>();

  constructor(private readonly keys: SigningKeyManager) {}

  /** Keys with exactly `kid`, or every key that can verify `alg` when the token has no `kid`. */
  getKeysSync(lookup: KeyLookup): readonly VerificationKey[] {
    const byKid = new Map<string, VerificationKey>();
    // Each kid is imported once (the kid is the key's RFC 7638 thumbprint), and the same object keeps matching
    // verified-token cache hits; a key the manager no longer publishes drops out here at once.
    for (const jwk of this.keys.currentJwks().keys) {
      byKid.set(jwk.kid, this.imported.get(jwk.kid) ?? importJwk(jwk));
    }
    this.imported = byKid;
    const all = [...byKid.values()];
    if (lookup.kid !== undefined) return all.filter((key) => key.kid === lookup.kid);
    return all.filter((key) => key.algorithms.has(lookup.alg as never));
  }

  /** Same as {@link getKeysSync}. */
  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    return this.getKeysSync(lookup);
  }

  /** Always fresh: the keys are this process's own. */
  getState(): KeySourceState {
    const keyIds = this.keys.describe().map((record) => record.kid);
    return { kind: 'in-process', status: 'fresh', keyIds, keyCount: keyIds.length, consecutiveFailures: 0 };
  }
}
