import { FetchError, fetchJson } from './http-fetch';
import type { RemoteJwksOptions } from './remote-jwks.options';
import { KeyRejectedError } from './verification-key';

const BACKOFF_JITTER = 0.1;

/** Backoff before the next retry after `failures` consecutive failures: doubling, capped, jittered down by up to 10%. @internal */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 52));
  // Jitter only shortens the wait, so the configured values stay upper bounds.
  return base * (1 - Math.random() * BACKOFF_JITTER);
}

/** A log-safe description of a failed refresh. @internal */
export function describeFailure(error: unknown): string {
  if (error instanceof FetchError) return error.message;
  if (error instanceof KeyRejectedError) return `invalid key set: ${error.message}`;
  return 'unexpected error';
}

/** What a {@link RefreshState} needs to fetch and to time its retries. @internal */
export interface RefreshStateOptions {
  /** Resolved fetch limits and backoff timings. */
  readonly settings: Readonly<Required<RemoteJwksOptions>>;
  /** Allow plain `http:` URLs (loopback only, see `checkFetchUrl`). */
  readonly allowInsecureHttp: boolean;
  /** Clock in milliseconds since the epoch. */
  readonly now: () => number;
}

/**
 * The fetch bookkeeping every remote key source shares: one attempt in flight at a time (concurrent callers join it),
 * attempt and success times, consecutive failures with exponential backoff, and a `close()` that aborts the fetch
 * under way and refuses new ones. It emits nothing: the owning source decides what a success or failure means.
 * @internal
 */
export class RefreshState {
  private readonly abort = new AbortController();
  private running: Promise<boolean> | undefined;
  private attemptAt: number | undefined;
  private successAt: number | undefined;
  private failures = 0;
  private succeededTotal = 0;
  private failedTotal = 0;
  private retryAt = 0;
  private error: string | undefined;
  private failure: unknown;
  private isClosed = false;

  constructor(private readonly options: RefreshStateOptions) {}

  /** The attempt under way, if any. */
  get inFlight(): Promise<boolean> | undefined {
    return this.running;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** When the last attempt started (ms since epoch). */
  get lastAttemptAt(): number | undefined {
    return this.attemptAt;
  }

  /** When the last attempt succeeded (ms since epoch). */
  get lastSuccessAt(): number | undefined {
    return this.successAt;
  }

  /** Failed attempts since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Completed attempts since creation, by result. */
  get counts(): { readonly succeeded: number; readonly failed: number } {
    return { succeeded: this.succeededTotal, failed: this.failedTotal };
  }

  /** When the backoff after the last failure ends (ms since epoch), while backing off. */
  get nextRetryAt(): number | undefined {
    return this.failures > 0 ? this.retryAt : undefined;
  }

  /** The last failure as a log-safe message; kept after a success, as a record of the last outage. */
  get lastError(): string | undefined {
    return this.error;
  }

  /** The last failure itself, for the `cause` of a `keys_unavailable` error. */
  get lastFailure(): unknown {
    return this.failure;
  }

  /** Start `task` unless an attempt is under way, in which case join it; resolves to `false` at once once closed. */
  run(task: () => Promise<boolean>): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(false);
    if (!this.running) {
      this.attemptAt = this.options.now();
      this.running = task().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Fetch a JSON document under the configured limits; aborted by `close()`. */
  fetchJson(url: string): Promise<unknown> {
    const { settings, allowInsecureHttp } = this.options;
    return fetchJson(url, {
      timeoutMs: settings.timeoutMs,
      maxBodyBytes: settings.maxBodyBytes,
      allowInsecureHttp,
      signal: this.abort.signal,
    });
  }

  /** Note a successful attempt: stamps `lastSuccessAt` and ends any backoff. */
  recordSuccess(): void {
    this.successAt = this.options.now();
    this.succeededTotal += 1;
    this.failures = 0;
    this.retryAt = 0;
  }

  /** Note a failed attempt and back off before the next one. */
  recordFailure(error: unknown, message = describeFailure(error)): void {
    const { now, settings } = this.options;
    this.error = message;
    this.failure = error;
    this.failures += 1;
    this.failedTotal += 1;
    this.retryAt = now() + backoffDelay(this.failures, settings.backoffInitialMs, settings.backoffMaxMs);
  }

  /** Whether a failure is recent enough that no new attempt may start yet. */
  isBackingOff(): boolean {
    return this.failures > 0 && this.options.now() < this.retryAt;
  }

  /** Whether no attempt has succeeded or failed yet (one may be under way). */
  isPending(): boolean {
    return this.successAt === undefined && this.failures === 0;
  }

  /** Abort the fetch under way and start no more. */
  close(): void {
    this.isClosed = true;
    this.abort.abort();
  }
}
