import { Clock } from '../clock/clock';

const SWEEP_INTERVAL_MS = 60_000;

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/**
 * An in-memory map whose entries vanish at their expiry time, bounded in size so unauthenticated
 * endpoints that create entries (authorize, login) cannot grow it without limit.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private nextSweepAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  /** Stores `value` under `key` until `expiresAt` (epoch ms). */
  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries || this.clock.now() >= this.nextSweepAt) this.sweep();
    if (this.entries.size >= this.maxEntries) {
      // Still full after dropping expired entries: evict the oldest insertion.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt });
  }

  /** The live value under `key`, if any. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Removes and returns the live value under `key`, so it can be used once only. */
  take(key: string): V | undefined {
    const value = this.get(key);
    this.entries.delete(key);
    return value;
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = this.clock.now();
    this.nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
