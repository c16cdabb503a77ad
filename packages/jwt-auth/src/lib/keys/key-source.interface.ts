import type { VerificationKey } from './verification-key';

/**
 * Health of a key source: `pending` before its first fetch has completed (nothing usable yet, nothing failed either),
 * `fresh` keys, `stale` keys served after failed refreshes, or `failing` with nothing usable after a failure or expiry.
 * No event is emitted for `pending`.
 */
export type KeySourceStatus = 'pending' | 'fresh' | 'stale' | 'failing';

/** A snapshot of a key source's state for health checks and logs (no key material). */
export interface KeySourceState {
  /** Where the keys come from, e.g. `static`, `jwks`, `discovery`, `jwks-rsa`. */
  readonly kind: string;
  /** Fetch URL, for remote sources. */
  readonly url?: string;
  /** Health of the source; see {@link KeySourceStatus}. */
  readonly status: KeySourceStatus;
  /** Key ids currently served. */
  readonly keyIds: readonly string[];
  /** Number of keys currently served. */
  readonly keyCount: number;
  /** When the last fetch succeeded (ms since epoch). */
  readonly lastSuccessAt?: number;
  /** When the last fetch was attempted (ms since epoch). */
  readonly lastAttemptAt?: number;
  /** The last failure, as a message without secrets. */
  readonly lastError?: string;
  /** Failed fetches since the last success. */
  readonly consecutiveFailures: number;
  /** Members of the last fetched set that were dropped, with reasons. */
  readonly rejectedKeys?: readonly { readonly kid?: string; readonly reason: string }[];
  /**
   * When the next refresh (or, after a failure, the next retry) is due, in ms since the epoch; remote sources use no
   * timers, so it starts with the first key lookup after that time.
   */
  readonly nextRefreshAt?: number;
  /** Completed fetches since the source was created, by result (remote sources; cumulative, for metrics). */
  readonly fetchCounts?: { readonly succeeded: number; readonly failed: number };
  /** Key lookups answered from a stale set, after failed refreshes (cumulative, for metrics). */
  readonly staleServed?: number;
  /** Unknown-`kid` refetches refused because the cooldown had not passed (cumulative, for metrics). */
  readonly refetchesSuppressed?: number;
}

/** What the verifier asks a key source for: the unverified, already-checked header values. */
export interface KeyLookup {
  /** Exact `kid` from the header, if any. */
  readonly kid: string | undefined;
  /** Exact `alg` from the header (already on the issuer's allow-list). */
  readonly alg: string;
}

/** An event a key source reports (state changes, dropped members). */
export type KeySourceEvent =
  | { readonly type: 'refreshed'; readonly state: KeySourceState }
  | { readonly type: 'stale'; readonly state: KeySourceState; readonly error: string }
  | { readonly type: 'failing'; readonly state: KeySourceState; readonly error: string }
  | { readonly type: 'recovered'; readonly state: KeySourceState }
  | { readonly type: 'keys-rejected'; readonly state: KeySourceState };

/** Receives {@link KeySourceEvent}s; must not throw (a throw is swallowed). */
export type KeySourceListener = (event: KeySourceEvent) => void;

/**
 * Supplies verification keys for one issuer. Implementations resolve `kid` by exact lookup only and never
 * dereference anything the token names (`jku`, `x5u`, `jwk`).
 */
export interface KeySource {
  /**
   * Candidate keys for a token: the key with exactly this `kid` when the header has one, else every key that can
   * verify `alg`. Resolves to an empty list when nothing fits; rejects with an `AuthError`
   * (`keys_unavailable`) when no usable key set can be had.
   */
  getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]>;
  /**
   * The candidate keys when they are at hand without waiting for I/O, else `undefined` (then the verifier awaits
   * {@link getKeys}). Optional: it spares a verification with cached keys a suspension on the hot path. When it
   * returns keys, they must be what `getKeys` would resolve to, and it must start the same background work.
   */
  getKeysSync?(lookup: KeyLookup): readonly VerificationKey[] | undefined;
  /** Current state, for health checks. */
  getState(): KeySourceState;
  /** Load keys ahead of the first request (optional warm-up); never rejects. */
  warmUp?(): Promise<void>;
  /** Subscribe to state changes; returns an unsubscribe function. */
  subscribe?(listener: KeySourceListener): () => void;
  /** Release timers and sockets. */
  close?(): void;
}
