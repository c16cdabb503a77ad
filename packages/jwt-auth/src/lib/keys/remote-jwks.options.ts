/** Limits and timings for fetching a remote JWKS or discovery document. Every value has a safe default. */
export interface RemoteJwksOptions {
  /** One deadline covering connect, headers and the whole body, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Cap on the decoded (decompressed) body size, in bytes. @default 262144 (256 KiB) */
  readonly maxBodyBytes?: number;
  /** Most keys accepted in a set; a larger set counts as a failed fetch. @default 100 */
  readonly maxKeys?: number;
  /** Soft TTL of a fetched key set, in ms. @default 600000 (10 min) */
  readonly cacheTtlMs?: number;
  /** Start a background refresh this long before the soft TTL runs out, in ms. @default 60000 */
  readonly refreshAheadMs?: number;
  /** After a fetch, a token with an unknown `kid` triggers no new fetch for this long, in ms. @default 30000 */
  readonly cooldownMs?: number;
  /** How long the last good key set is served while refreshes fail, in ms. @default 86400000 (24 h) */
  readonly maxStaleMs?: number;
  /** First wait after a failed fetch before the next try, in ms; doubles up to `backoffMaxMs`. @default 1000 */
  readonly backoffInitialMs?: number;
  /** Longest wait between retries after failures, in ms. @default 300000 (5 min) */
  readonly backoffMaxMs?: number;
  /** Lifetime of a fetched discovery document, in ms. @default 86400000 (24 h) */
  readonly discoveryTtlMs?: number;
}

/** The defaults of {@link RemoteJwksOptions}. */
export const REMOTE_JWKS_DEFAULTS: Readonly<Required<RemoteJwksOptions>> = Object.freeze({
  timeoutMs: 5_000,
  maxBodyBytes: 256 * 1024,
  maxKeys: 100,
  cacheTtlMs: 10 * 60_000,
  refreshAheadMs: 60_000,
  cooldownMs: 30_000,
  maxStaleMs: 24 * 60 * 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 5 * 60_000,
  discoveryTtlMs: 24 * 60 * 60_000,
});
