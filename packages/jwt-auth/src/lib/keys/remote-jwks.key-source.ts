import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { checkFetchUrl, FetchError } from './http-fetch';
import { importJwkSet, type ImportedKeySet } from './jwk';
import type {
  KeyLookup,
  KeySource,
  KeySourceEvent,
  KeySourceListener,
  KeySourceState,
  KeySourceStatus,
} from './key-source.interface';
import { RefreshState } from './refresh-state';
import { REMOTE_JWKS_DEFAULTS, type RemoteJwksOptions } from './remote-jwks.options';
import { KeyRejectedError, type VerificationKey } from './verification-key';

/** Options of {@link RemoteJwksKeySource} and {@link DiscoveryKeySource}: fetch limits and timings plus issuer policy. */
export interface RemoteKeySourceOptions extends RemoteJwksOptions {
  /** Allow plain `http:` URLs; meant for loopback development and tests only. @default false */
  readonly allowInsecureHttp?: boolean;
  /** The issuer's algorithm allow-list; fetched keys fitting none of it are dropped. @default every asymmetric algorithm */
  readonly algorithms?: ReadonlySet<string>;
  /** Clock in milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

// setTimeout fires at once for delays above 2^31 - 1 ms, which would turn the deadline off.
const MAX_TIMER_MS = 2_147_483_647;
// What a lookup for an unknown `kid` answers (immutable, shared).
const NO_KEYS: readonly VerificationKey[] = Object.freeze([]);

export { backoffDelay, describeFailure } from './refresh-state';

/**
 * Fill in {@link REMOTE_JWKS_DEFAULTS} and check every value.
 * @internal
 * @throws JwtAuthConfigError naming the option and the fix
 */
export function resolveRemoteOptions(options: RemoteJwksOptions): Readonly<Required<RemoteJwksOptions>> {
  const resolved = { ...REMOTE_JWKS_DEFAULTS };
  for (const name of Object.keys(REMOTE_JWKS_DEFAULTS) as (keyof RemoteJwksOptions)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new JwtAuthConfigError(
        `fetch.${name}`,
        'must be a finite number >= 0',
        `remove it to use the default (${REMOTE_JWKS_DEFAULTS[name]})`,
      );
    }
    resolved[name] = value;
  }
  const positiveIntegers = ['timeoutMs', 'maxBodyBytes', 'maxKeys'] as const;
  for (const name of positiveIntegers) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1) {
      throw new JwtAuthConfigError(
        `fetch.${name}`,
        'must be a positive integer',
        `remove it to use the default (${REMOTE_JWKS_DEFAULTS[name]})`,
      );
    }
  }
  if (resolved.timeoutMs > MAX_TIMER_MS) {
    throw new JwtAuthConfigError(
      'fetch.timeoutMs',
      `must be at most ${MAX_TIMER_MS}`,
      'use a deadline of a few seconds',
    );
  }
  if (resolved.cacheTtlMs === 0)
    throw new JwtAuthConfigError('fetch.cacheTtlMs', 'must be positive', 'use minutes, e.g. 600000');
  if (resolved.refreshAheadMs >= resolved.cacheTtlMs) {
    throw new JwtAuthConfigError(
      'fetch.refreshAheadMs',
      'must be shorter than fetch.cacheTtlMs, or every request would start a refresh',
      'lower refreshAheadMs or raise cacheTtlMs',
    );
  }
  if (resolved.backoffMaxMs < resolved.backoffInitialMs) {
    throw new JwtAuthConfigError(
      'fetch.backoffMaxMs',
      'must be at least fetch.backoffInitialMs',
      'raise backoffMaxMs or lower backoffInitialMs',
    );
  }
  if (resolved.discoveryTtlMs === 0)
    throw new JwtAuthConfigError('fetch.discoveryTtlMs', 'must be positive', 'use hours, e.g. 86400000');
  return Object.freeze(resolved);
}

/**
 * Check a configured fetch URL at construction time.
 * @internal
 * @throws JwtAuthConfigError naming the option and the fix
 */
export function checkConfiguredUrl(option: string, url: unknown, allowInsecureHttp: boolean): void {
  if (typeof url !== 'string')
    throw new JwtAuthConfigError(option, 'must be a string', 'give an absolute https:// URL');
  try {
    checkFetchUrl(url, allowInsecureHttp);
  } catch (error) {
    const fix =
      (error as FetchError).message === 'plain http is not allowed'
        ? 'use https, or set allowInsecureHttp: true for loopback development only'
        : 'give an absolute https:// URL without user:password';
    throw new JwtAuthConfigError(option, (error as FetchError).message, fix);
  }
}

/** Call every listener, swallowing throws and rejected promises: a broken listener must not break verification. @internal */
export function emitEvent(listeners: ReadonlySet<KeySourceListener>, event: KeySourceEvent): void {
  for (const listener of listeners) {
    try {
      const result = listener(event) as unknown;
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // Swallowed by contract (KeySourceListener).
    }
  }
}

/**
 * Keys from a remote JWKS URL for one issuer: fetched lazily, cached with a soft TTL and refreshed ahead of expiry
 * in the background, refetched for an unknown `kid` at most once per cooldown, and served stale for a bounded time
 * while refreshes fail (with exponential backoff). Uses no timers: all scheduling happens on calls.
 * @example
 * const source = new RemoteJwksKeySource('https://id.example.com/jwks', { algorithms: new Set(['RS256']) });
 * await source.warmUp();
 */
export class RemoteJwksKeySource implements KeySource {
  private readonly settings: Readonly<Required<RemoteJwksOptions>>;
  private readonly algorithms: ReadonlySet<string> | undefined;
  private readonly now: () => number;
  private readonly listeners = new Set<KeySourceListener>();
  private readonly fetches: RefreshState;

  private keys: readonly VerificationKey[] = [];
  // Each key by its `kid`, as the one-element list a lookup answers (built once: a cache hit asks on every request).
  private byKid: ReadonlyMap<string, readonly VerificationKey[]> = new Map();
  private rejectedKeys: readonly { readonly kid?: string; readonly reason: string }[] = [];
  private staleServed = 0;
  private refetchesSuppressed = 0;
  // Starts as 'fresh' so that the first successful fetch reports `refreshed` only, not `recovered`.
  private reportedStatus: KeySourceStatus = 'fresh';

  /**
   * @param url the JWKS URL: `https:`, or `http:` with `allowInsecureHttp`; never with user or password.
   * @throws JwtAuthConfigError for a bad URL or option
   */
  constructor(
    /** The JWKS URL. */
    readonly url: string,
    options: RemoteKeySourceOptions = {},
  ) {
    const allowInsecureHttp = options.allowInsecureHttp === true;
    checkConfiguredUrl('jwksUri', url, allowInsecureHttp);
    this.settings = resolveRemoteOptions(options);
    this.algorithms = options.algorithms;
    this.now = options.now ?? Date.now;
    this.fetches = new RefreshState({ settings: this.settings, allowInsecureHttp, now: this.now });
  }

  /** Keys for a token header: exact `kid` lookup, or every key able to verify `alg` when there is no `kid`. */
  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    const ready = this.getKeysSync(lookup);
    if (ready !== undefined) return ready;
    if (!this.hasUsableKeys()) {
      await this.refreshInForeground();
      return this.select(lookup);
    }
    // Usable keys, but none fits: callers that find a refresh under way wait for it rather than starting another.
    if (this.fetches.inFlight) {
      await this.fetches.inFlight;
      return this.select(lookup);
    }
    if (!this.mayRefetchForUnknownKey()) {
      this.refetchesSuppressed += 1;
      return [];
    }
    await this.refresh();
    return this.select(lookup);
  }

  /**
   * The fitting keys when usable keys are cached and one fits (starting a refresh in the background when it is
   * due); none when no refetch for an unknown `kid` may start now (the answer {@link getKeys} would give); else
   * `undefined`: an unknown `kid` that may be refetched, or nothing usable, takes {@link getKeys}.
   */
  getKeysSync(lookup: KeyLookup): readonly VerificationKey[] | undefined {
    if (!this.hasUsableKeys()) return undefined;
    if (this.isRefreshDue()) void this.refresh();
    const found = this.select(lookup);
    if (found.length > 0) return found;
    // A flood of unknown kids inside the cooldown is refused without a suspension (decision 023).
    if (this.fetches.inFlight || this.mayRefetchForUnknownKey()) return undefined;
    this.refetchesSuppressed += 1;
    return found;
  }

  /** A snapshot for health checks: status, key ids, timings and the last error (no key material). */
  getState(): KeySourceState {
    const usable = this.hasUsableKeys();
    return Object.freeze({
      kind: 'jwks',
      url: this.url,
      status: this.status(),
      keyIds: usable ? this.keys.flatMap((key) => (key.kid === undefined ? [] : [key.kid])) : [],
      keyCount: usable ? this.keys.length : 0,
      lastSuccessAt: this.fetches.lastSuccessAt,
      lastAttemptAt: this.fetches.lastAttemptAt,
      lastError: this.fetches.lastError,
      consecutiveFailures: this.fetches.consecutiveFailures,
      rejectedKeys: this.rejectedKeys,
      nextRefreshAt: this.nextRefreshAt(),
      fetchCounts: this.fetches.counts,
      staleServed: this.staleServed,
      refetchesSuppressed: this.refetchesSuppressed,
    });
  }

  /** Fetch the key set once (joining a fetch under way); never rejects. */
  async warmUp(): Promise<void> {
    if (this.fetches.inFlight || !this.fetches.isBackingOff()) await this.refresh();
  }

  /** Receive state changes and dropped-member reports; returns the unsubscribe function. */
  subscribe(listener: KeySourceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Abort a fetch under way and stop fetching; cached keys are still served until they go past `maxStaleMs`. */
  close(): void {
    this.listeners.clear();
    this.fetches.close();
  }

  private select({ kid, alg }: KeyLookup): readonly VerificationKey[] {
    if (!this.hasUsableKeys()) throw this.unavailable();
    let found: readonly VerificationKey[];
    if (kid !== undefined) {
      found = this.byKid.get(kid) ?? NO_KEYS;
    } else {
      found = this.keys.filter((key) => (key.algorithms as ReadonlySet<string>).has(alg));
    }
    if (this.fetches.consecutiveFailures > 0 && found.length > 0) this.staleServed += 1;
    return found;
  }

  private nextRefreshAt(): number | undefined {
    const { lastSuccessAt, nextRetryAt } = this.fetches;
    if (nextRetryAt !== undefined) return nextRetryAt;
    return lastSuccessAt === undefined
      ? undefined
      : lastSuccessAt + this.settings.cacheTtlMs - this.settings.refreshAheadMs;
  }

  private hasUsableKeys(): boolean {
    const { lastSuccessAt } = this.fetches;
    return (
      this.keys.length > 0 && lastSuccessAt !== undefined && this.now() - lastSuccessAt <= this.settings.maxStaleMs
    );
  }

  private isRefreshDue(): boolean {
    const { inFlight, closed, lastSuccessAt } = this.fetches;
    if (inFlight || closed || this.fetches.isBackingOff() || lastSuccessAt === undefined) return false;
    return this.now() >= lastSuccessAt + this.settings.cacheTtlMs - this.settings.refreshAheadMs;
  }

  private mayRefetchForUnknownKey(): boolean {
    if (this.fetches.closed || this.fetches.isBackingOff()) return false;
    const { lastAttemptAt } = this.fetches;
    return lastAttemptAt === undefined || this.now() - lastAttemptAt >= this.settings.cooldownMs;
  }

  private async refreshInForeground(): Promise<void> {
    // During backoff a caller fails fast: no fetch, no wait.
    if (!this.fetches.inFlight && (this.fetches.closed || this.fetches.isBackingOff())) throw this.unavailable();
    await this.refresh();
    if (!this.hasUsableKeys()) throw this.unavailable();
  }

  private refresh(): Promise<boolean> {
    return this.fetches.run(() => this.fetchKeys());
  }

  private async fetchKeys(): Promise<boolean> {
    let imported: ImportedKeySet;
    try {
      const body = await this.fetches.fetchJson(this.url);
      imported = importJwkSet(body, { algorithms: this.algorithms, maxKeys: this.settings.maxKeys });
    } catch (error) {
      if (!this.fetches.closed) this.recordFailure(error);
      return false;
    }
    this.rejectedKeys = Object.freeze(imported.rejected.map(({ kid, reason }) => Object.freeze({ kid, reason })));
    if (imported.keys.length === 0) {
      this.recordFailure(new KeyRejectedError(`no usable key (${imported.rejected.length} members rejected)`));
    } else {
      this.keys = imported.keys;
      // A kid missing from the new set is retired at once: the map is replaced, not merged.
      this.byKid = new Map(
        imported.keys.flatMap((key) => (key.kid === undefined ? [] : [[key.kid, Object.freeze([key])] as const])),
      );
      this.fetches.recordSuccess();
    }
    if (imported.rejected.length > 0) this.emit({ type: 'keys-rejected', state: this.getState() });
    if (imported.keys.length === 0) return false;
    this.emit({ type: 'refreshed', state: this.getState() });
    this.reportStatus();
    return true;
  }

  private recordFailure(error: unknown): void {
    this.fetches.recordFailure(error);
    this.reportStatus();
  }

  private status(): KeySourceStatus {
    if (!this.hasUsableKeys()) return this.fetches.isPending() ? 'pending' : 'failing';
    return this.fetches.consecutiveFailures > 0 ? 'stale' : 'fresh';
  }

  private reportStatus(): void {
    const status = this.status();
    // Waiting for the first fetch is no state change worth an event.
    if (status === this.reportedStatus || status === 'pending') return;
    this.reportedStatus = status;
    const state = this.getState();
    const error = this.fetches.lastError ?? 'the key set expired';
    if (status === 'fresh') this.emit({ type: 'recovered', state });
    else if (status === 'stale') this.emit({ type: 'stale', state, error });
    else this.emit({ type: 'failing', state, error });
  }

  private unavailable(): AuthError {
    this.reportStatus();
    return new AuthError(
      AuthErrorCode.KEYS_UNAVAILABLE,
      'Signing keys are unavailable',
      {},
      { cause: this.fetches.lastFailure },
    );
  }

  private emit(event: KeySourceEvent): void {
    emitEvent(this.listeners, event);
  }
}
