import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { IdentityConfig } from '../config/identity.config';
import { CLOCK, IDENTITY_CONFIG } from '../identity.constants';
import {
  generateSigningKey,
  keyThumbprint,
  PublicJwk,
  publicJwk,
  SIGNING_ALGORITHMS,
  SigningAlgorithm,
} from './signing-algorithm';
import { SigningKey, SigningKeyRecord, SigningKeyStore, SigningKeyStoreError, toRecord } from './signing-key.store';

/** A JWK Set document with public keys only. */
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

// setTimeout overflows above 2^31-1 ms (about 24.8 days) and would fire at once.
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const MIN_TIMER_DELAY_MS = 1000;

/**
 * Owns the signing keys of every algorithm and their lifecycle `next` -> `current` -> `retired` -> removed.
 *
 * Each algorithm always has one `current` key (signs) and one `next` key (already published, so verifiers
 * have cached it before it signs anything). A rotation retires `current`, promotes `next` and generates a
 * new `next`; a retired key stays published until every token it signed has expired plus a margin.
 */
@Injectable()
export class SigningKeyManager implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SigningKeyManager.name);
  private readonly store: SigningKeyStore;
  private readonly jwkCache = new Map<string, PublicJwk>();
  private keys: readonly SigningKey[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.store = new SigningKeyStore(config.dataDir);
  }

  /** Loads persisted keys, generates what is missing, catches up on a rotation missed while stopped. */
  async onModuleInit(): Promise<void> {
    await this.exclusive(() => this.initialize());
    this.schedule();
  }

  /** Stops the rotation timer. */
  onModuleDestroy(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
  }

  /** The key that signs new tokens for `alg`. */
  signingKey(alg: SigningAlgorithm): SigningKey {
    const key = this.keys.find((candidate) => candidate.alg === alg && candidate.state === 'current');
    // Fail closed: initialization guarantees a current key per algorithm, so this is a bug, not a fallback case.
    if (!key) throw new Error(`no current signing key for ${alg}`);
    return key;
  }

  /** The JWKS to publish: every `next`, `current` and still-needed `retired` key, public members only. */
  async publicJwks(): Promise<PublicJwks> {
    await this.exclusive(() => this.prune());
    return { keys: this.keys.map((key) => this.jwkOf(key)) };
  }

  /** The published keys as they are now (no pruning), for verifying this service's own tokens in process. */
  currentJwks(): PublicJwks {
    return { keys: this.keys.map((key) => this.jwkOf(key)) };
  }

  /** State of every key, without key material. */
  describe(): SigningKeyRecord[] {
    return this.keys.map(toRecord);
  }

  /** Rotates the keys of `alg`, or of every algorithm when omitted, and returns the resulting key states. */
  async rotate(alg?: SigningAlgorithm): Promise<SigningKeyRecord[]> {
    await this.exclusive(() => this.rotateAndPrune(alg ? [alg] : [...SIGNING_ALGORITHMS]));
    this.schedule();
    return this.describe();
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async initialize(): Promise<void> {
    const loaded = await this.store.load();
    let keys = [...loaded];
    for (const alg of SIGNING_ALGORITHMS) {
      const current = keys.filter((key) => key.alg === alg && key.state === 'current');
      const next = keys.filter((key) => key.alg === alg && key.state === 'next');
      if (current.length > 1 || next.length > 1) {
        throw new SigningKeyStoreError(`${this.store.directory}/manifest.json lists several ${alg} keys in one state`);
      }
      if (current.length === 0 && next.length === 1) {
        keys = keys.map((key) => (key === next[0] ? { ...key, state: 'current', activatedAt: this.clock.now() } : key));
      } else if (current.length === 0) {
        keys.push(await this.newKey(alg, 'current'));
      }
      if (!keys.some((key) => key.alg === alg && key.state === 'next')) keys.push(await this.newKey(alg, 'next'));
    }
    const isDue = (alg: SigningAlgorithm) => this.rotationDueAt(keys, alg) <= this.clock.now();
    const due = SIGNING_ALGORITHMS.filter(isDue);
    if (due.length > 0) keys = await this.rotated(keys, due);
    keys = this.withoutExpired(keys);
    const isUnchanged = keys.length === loaded.length && keys.every((key, index) => key === loaded[index]);
    if (!isUnchanged) await this.store.save(keys);
    this.keys = keys;
    const generated = keys.filter((key) => !loaded.some((old) => old.kid === key.kid)).length;
    this.logger.log(`signing keys ready in ${this.store.directory} (${keys.length} keys, ${generated} generated)`);
  }

  private async rotateAndPrune(algs: readonly SigningAlgorithm[]): Promise<void> {
    const keys = this.withoutExpired(await this.rotated(this.keys, algs));
    await this.store.save(keys);
    this.keys = keys;
  }

  private async rotated(keys: readonly SigningKey[], algs: readonly SigningAlgorithm[]): Promise<SigningKey[]> {
    const fresh = await Promise.all(algs.map((alg) => this.newKey(alg, 'next')));
    const now = this.clock.now();
    const removeAfter = now + (this.config.accessTokenTtlSeconds + this.config.retiredKeyMarginSeconds) * 1000;
    const result = keys.map((key): SigningKey => {
      if (!algs.includes(key.alg)) return key;
      if (key.state === 'current') return { ...key, state: 'retired', retiredAt: now, removeAfter };
      if (key.state === 'next') return { ...key, state: 'current', activatedAt: now };
      return key;
    });
    for (const alg of algs) {
      const current = result.find((key) => key.alg === alg && key.state === 'current');
      this.logger.log(`rotated ${alg} signing key: current kid=${current?.kid}`);
    }
    return [...result, ...fresh];
  }

  private async prune(): Promise<void> {
    const keys = this.withoutExpired(this.keys);
    if (keys.length === this.keys.length) return;
    await this.store.save(keys);
    this.keys = keys;
  }

  private withoutExpired(keys: readonly SigningKey[]): SigningKey[] {
    const now = this.clock.now();
    return keys.filter((key) => {
      const isExpired = key.state === 'retired' && this.removalDueAt(key) <= now;
      if (isExpired) this.logger.log(`removed retired ${key.alg} signing key kid=${key.kid}`);
      return !isExpired;
    });
  }

  private removalDueAt(key: SigningKey): number {
    // Recomputed as well as stored: a TTL raised since the key retired must not unpublish it early.
    const lifetime = (this.config.accessTokenTtlSeconds + this.config.retiredKeyMarginSeconds) * 1000;
    return Math.max(key.removeAfter ?? 0, (key.retiredAt ?? key.createdAt) + lifetime);
  }

  private rotationDueAt(keys: readonly SigningKey[], alg: SigningAlgorithm): number {
    const current = keys.find((key) => key.alg === alg && key.state === 'current');
    return (current?.activatedAt ?? current?.createdAt ?? 0) + this.config.rotationPeriodSeconds * 1000;
  }

  private async newKey(alg: SigningAlgorithm, state: 'current' | 'next'): Promise<SigningKey> {
    const privateKey = await generateSigningKey(alg);
    const now = this.clock.now();
    return {
      kid: keyThumbprint(privateKey),
      alg,
      state,
      createdAt: now,
      ...(state === 'current' && { activatedAt: now }),
      privateKey,
    };
  }

  private jwkOf(key: SigningKey): PublicJwk {
    let jwk = this.jwkCache.get(key.kid);
    if (!jwk) {
      jwk = publicJwk(key.alg, key.privateKey, key.kid);
      this.jwkCache.set(key.kid, jwk);
    }
    return jwk;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.isClosed) return;
    const wakeAt = Math.min(
      ...SIGNING_ALGORITHMS.map((alg) => this.rotationDueAt(this.keys, alg)),
      ...this.keys.filter((key) => key.state === 'retired').map((key) => this.removalDueAt(key)),
    );
    const delay = Math.min(Math.max(wakeAt - this.clock.now(), MIN_TIMER_DELAY_MS), MAX_TIMER_DELAY_MS);
    this.timer = setTimeout(() => void this.tick(), delay);
    // The timer must never keep a process (or a test runner) alive on its own.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.exclusive(async () => {
        const due = SIGNING_ALGORITHMS.filter((alg) => this.rotationDueAt(this.keys, alg) <= this.clock.now());
        if (due.length > 0) await this.rotateAndPrune(due);
        else await this.prune();
      });
    } catch (error) {
      this.logger.error(`scheduled key rotation failed: ${(error as Error).message}`);
    } finally {
      this.schedule();
    }
  }
}
