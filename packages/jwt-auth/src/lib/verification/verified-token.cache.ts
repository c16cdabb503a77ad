import type { AuthPrincipal } from '../jwt/principal';
import type { JsonObject } from '../jws/strict-json';
import type { VerificationKey } from '../keys/verification-key';

/** A token that verified once: its principal, claims and the key that verified its signature. */
export interface VerifiedTokenEntry {
  readonly issuer: string;
  readonly principal: AuthPrincipal;
  readonly claims: JsonObject;
  readonly key: VerificationKey;
  readonly kid: string | undefined;
  readonly alg: string;
}

/**
 * A bounded map from an exact token string to its verification result. Eviction is oldest-first; entries are never
 * trusted on their own: the verifier re-checks time-based claims and key presence on every hit.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedTokenEntry>();

  constructor(private readonly maxEntries: number) {}

  get(token: string): VerifiedTokenEntry | undefined {
    return this.maxEntries === 0 ? undefined : this.entries.get(token);
  }

  set(token: string, entry: VerifiedTokenEntry): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, entry);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  get size(): number {
    return this.entries.size;
  }
}
