import type { AuthPrincipal } from '../jwt/principal';
import type { JsonObject } from '../json/strict-json';
import type { VerificationKey } from '../keys/verification-key';
import type { X509HeaderParams } from '../jws/header';

/** A token that verified once: its principal, claims and the key that verified its signature. */
export interface VerifiedTokenEntry {
  readonly issuer: string;
  readonly principal: AuthPrincipal;
  readonly claims: JsonObject;
  readonly key: VerificationKey;
  readonly kid: string | undefined;
  readonly alg: string;
  /** The X.509 header members, when the key came from the issuer's trust store. */
  readonly x509?: X509HeaderParams;
}

// Tokens arrive as new strings on every request, so a Map keyed by the whole token re-hashes ~1 KB each time.
// The key is the token's length plus the tail of its signature (random bytes); a hit also compares the full token,
// so two tokens sharing a key can only cause a miss, never a wrong answer.
const KEY_TAIL = 32;

function cacheKey(token: string): string {
  return `${token.length}:${token.slice(-KEY_TAIL)}`;
}

interface StoredEntry {
  readonly token: string;
  readonly entry: VerifiedTokenEntry;
}

/**
 * A bounded map from an exact token string to its verification result. Eviction is oldest-first; entries are never
 * trusted on their own: the verifier re-checks time-based claims and key presence on every hit.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, StoredEntry>();

  constructor(private readonly maxEntries: number) {}

  get(token: string): VerifiedTokenEntry | undefined {
    if (this.maxEntries === 0) return undefined;
    const stored = this.entries.get(cacheKey(token));
    return stored !== undefined && stored.token === token ? stored.entry : undefined;
  }

  set(token: string, entry: VerifiedTokenEntry): void {
    if (this.maxEntries === 0) return;
    const key = cacheKey(token);
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { token, entry });
  }

  delete(token: string): void {
    const key = cacheKey(token);
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
