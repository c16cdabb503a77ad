import {
  metrics,
  type Attributes,
  type BatchObservableCallback,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
} from '@opentelemetry/api';
import type { AuthErrorCode } from '../errors/auth.errors';
import type { KeySourceStatus } from '../keys/key-source.interface';
import type { AccessTokenVerifier } from '../verification/access-token-verifier';
import type { VerificationObserver } from '../verification/verification-observer.interface';

/** Name of the OpenTelemetry meter (instrumentation scope) the package's instruments belong to. */
export const JWT_AUTH_METER_NAME = '@nest-sso/jwt-auth';

/** Names of the instruments {@link instrumentVerifier} creates (OpenTelemetry style; Prometheus turns `.` into `_`). */
export const JWT_AUTH_METRICS = Object.freeze({
  verificationDuration: 'jwt_auth.verification.duration',
  verifications: 'jwt_auth.verifications',
  cacheRequests: 'jwt_auth.cache.requests',
  cacheEvictions: 'jwt_auth.cache.evictions',
  cacheEntries: 'jwt_auth.cache.entries',
  cacheBytes: 'jwt_auth.cache.size',
  keyFetches: 'jwt_auth.key_source.fetches',
  keyTimeSinceSuccess: 'jwt_auth.key_source.time_since_success',
  keyStatus: 'jwt_auth.key_source.status',
  keyStaleServed: 'jwt_auth.key_source.stale_served',
  keyRefetchesSuppressed: 'jwt_auth.key_source.refetches_suppressed',
});

/** Names of the attributes (labels) the instruments carry; values are configured issuers, codes and enums only. */
export const JWT_AUTH_ATTRIBUTES = Object.freeze({
  issuer: 'jwt_auth.issuer',
  outcome: 'jwt_auth.outcome',
  errorType: 'error.type',
  cacheResult: 'jwt_auth.cache.result',
  fetchResult: 'jwt_auth.fetch.result',
  status: 'jwt_auth.key_source.status',
});

// Verification takes microseconds when keys are cached and up to the fetch deadline (5 s) when they are not.
const DURATION_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const STATUSES: readonly KeySourceStatus[] = ['fresh', 'stale', 'failing', 'pending'];

/** Options of {@link instrumentVerifier}. */
export interface VerifierMetricsOptions {
  /** The meter to create instruments on. @default `meterProvider.getMeter('@nest-sso/jwt-auth')` */
  readonly meter?: Meter;
  /** The provider to take the meter from. @default the global one (`metrics.getMeterProvider()`) */
  readonly meterProvider?: MeterProvider;
  /** Bucket boundaries of the duration histogram, in seconds. @default 50 µs to 10 s */
  readonly durationBuckets?: readonly number[];
  /** Clock for the time since the last good fetch, in ms since the epoch; for tests. @default Date.now */
  readonly now?: () => number;
}

/** The instrumentation of one verifier; `close()` stops recording and observing. */
export interface VerifierMetrics {
  /** Stop recording verifications and observing key sources. */
  close(): void;
}

// One attribute set and count per (issuer, outcome, code, cache result), made once. Recording a verification only
// increments a number: the counters are read at collection time (observable instruments), because the JS SDK hashes
// the attributes of every synchronous record (1-3 µs, more than a cache hit costs).
interface Series {
  readonly attributes: Attributes;
  count: number;
}

interface IssuerSeries {
  readonly hit: Series;
  readonly miss: Series;
  readonly rejected: Map<string, Series>;
}

class VerificationRecorder implements VerificationObserver {
  private readonly byIssuer = new Map<string, IssuerSeries>();
  // Tokens naming no configured issuer: no issuer attribute at all (the name is the attacker's choice).
  private readonly unknownIssuer: IssuerSeries = { hit: series({}), miss: series({}), rejected: new Map() };
  // Most services have one issuer: a hit on the last one is a pointer comparison, not a Map lookup.
  private lastIssuer: string | undefined;
  private lastSeries: IssuerSeries = this.unknownIssuer;

  constructor(private readonly duration: Histogram) {}

  cacheHit(issuer: string): void {
    this.issuerSeries(issuer).hit.count += 1;
  }

  verified(issuer: string, durationMs: number): void {
    this.issuerSeries(issuer).miss.count += 1;
    this.duration.record(durationMs / 1000);
  }

  rejected(code: AuthErrorCode, issuer: string | undefined, durationMs: number): void {
    const rejected = (issuer === undefined ? this.unknownIssuer : this.issuerSeries(issuer)).rejected;
    let one = rejected.get(code);
    if (one === undefined) {
      one = series({
        ...(issuer === undefined ? {} : { [JWT_AUTH_ATTRIBUTES.issuer]: issuer }),
        [JWT_AUTH_ATTRIBUTES.outcome]: 'rejected',
        [JWT_AUTH_ATTRIBUTES.errorType]: code,
        [JWT_AUTH_ATTRIBUTES.cacheResult]: 'miss',
      });
      rejected.set(code, one);
    }
    one.count += 1;
    this.duration.record(durationMs / 1000);
  }

  /** Every series with its count, for the observable counters. */
  *series(): Iterable<{ issuer: string | undefined; cacheHit: boolean; series: Series }> {
    const all: [string | undefined, IssuerSeries][] = [[undefined, this.unknownIssuer], ...this.byIssuer];
    for (const [issuer, one] of all) {
      if (issuer !== undefined) {
        yield { issuer, cacheHit: true, series: one.hit };
        yield { issuer, cacheHit: false, series: one.miss };
      }
      for (const rejected of one.rejected.values()) yield { issuer, cacheHit: false, series: rejected };
    }
  }

  private issuerSeries(issuer: string): IssuerSeries {
    if (issuer === this.lastIssuer) return this.lastSeries;
    let found = this.byIssuer.get(issuer);
    if (found === undefined) {
      const accepted = (cache: 'hit' | 'miss'): Series =>
        series({
          [JWT_AUTH_ATTRIBUTES.issuer]: issuer,
          [JWT_AUTH_ATTRIBUTES.outcome]: 'accepted',
          [JWT_AUTH_ATTRIBUTES.cacheResult]: cache,
        });
      found = { hit: accepted('hit'), miss: accepted('miss'), rejected: new Map() };
      this.byIssuer.set(issuer, found);
    }
    this.lastIssuer = issuer;
    this.lastSeries = found;
    return found;
  }
}

function series(attributes: Attributes): Series {
  return { attributes: Object.freeze(attributes), count: 0 };
}

/**
 * Record a verifier's outcomes, latency, verified-token cache and key sources through the OpenTelemetry metrics API.
 * Without an SDK registered the API's no-op meter makes this cost next to nothing; no token, `sub` or other claim
 * value ever becomes an attribute (only configured issuer names, error codes and fixed enums).
 * @example
 * const metricsHandle = instrumentVerifier(app.get(AccessTokenVerifier)); // after registering a MeterProvider
 */
export function instrumentVerifier(
  verifier: AccessTokenVerifier,
  options: VerifierMetricsOptions = {},
): VerifierMetrics {
  const meter = options.meter ?? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(JWT_AUTH_METER_NAME);
  const duration = meter.createHistogram(JWT_AUTH_METRICS.verificationDuration, {
    description:
      'Duration of full access-token verifications (accepted or refused; cache hits are not timed), without attributes.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...(options.durationBuckets ?? DURATION_BUCKETS)] },
  });
  const verifications = meter.createObservableCounter(JWT_AUTH_METRICS.verifications, {
    description: 'Access-token verifications, by issuer, outcome, error code and cache result.',
    unit: '{verification}',
  });
  const cacheRequests = meter.createObservableCounter(JWT_AUTH_METRICS.cacheRequests, {
    description: 'Verified-token cache lookups, by result (hit or miss); absent when the cache is off.',
    unit: '{request}',
  });
  const cacheEvictions = meter.createObservableCounter(JWT_AUTH_METRICS.cacheEvictions, {
    description: 'Verified-token cache entries dropped to make room.',
    unit: '{entry}',
  });
  const cacheEntries = meter.createObservableUpDownCounter(JWT_AUTH_METRICS.cacheEntries, {
    description: 'Verified-token cache entries held.',
    unit: '{entry}',
  });
  const cacheBytes = meter.createObservableUpDownCounter(JWT_AUTH_METRICS.cacheBytes, {
    description: 'Bytes charged for the verified-token cache entries (bounded by verifiedTokenCacheMaxBytes).',
    unit: 'By',
  });
  const keyFetches = meter.createObservableCounter(JWT_AUTH_METRICS.keyFetches, {
    description: 'Key-set (and discovery document) fetches, by issuer and result.',
    unit: '{fetch}',
  });
  const timeSinceSuccess = meter.createObservableGauge(JWT_AUTH_METRICS.keyTimeSinceSuccess, {
    description: 'Time since the last successful key fetch, by issuer.',
    unit: 's',
  });
  const keyStatus = meter.createObservableGauge(JWT_AUTH_METRICS.keyStatus, {
    description: 'Key-source status by issuer: 1 for the current status (fresh, stale, failing, pending), else 0.',
    unit: '1',
  });
  const staleServed = meter.createObservableCounter(JWT_AUTH_METRICS.keyStaleServed, {
    description: 'Key lookups answered from a stale key set after failed refreshes, by issuer.',
    unit: '{lookup}',
  });
  const refetchesSuppressed = meter.createObservableCounter(JWT_AUTH_METRICS.keyRefetchesSuppressed, {
    description: 'Unknown-kid refetches refused by the cooldown, by issuer.',
    unit: '{fetch}',
  });
  const observables: (ObservableCounter | ObservableGauge | ObservableUpDownCounter)[] = [
    verifications,
    cacheRequests,
    cacheEvictions,
    cacheEntries,
    cacheBytes,
    keyFetches,
    timeSinceSuccess,
    keyStatus,
    staleServed,
    refetchesSuppressed,
  ];

  const recorder = new VerificationRecorder(duration);
  const stopObserving = verifier.observe(recorder);
  const observe: BatchObservableCallback = (result) => {
    const cache = verifier.getVerifiedTokenCacheState();
    const cacheCounts = new Map<string | undefined, { hit: number; miss: number }>();
    for (const { issuer, cacheHit, series } of recorder.series()) {
      if (series.count > 0) result.observe(verifications, series.count, series.attributes);
      let counts = cacheCounts.get(issuer);
      if (counts === undefined) cacheCounts.set(issuer, (counts = { hit: 0, miss: 0 }));
      counts[cacheHit ? 'hit' : 'miss'] += series.count;
    }
    if (cache.maxBytes > 0) {
      for (const [issuer, counts] of cacheCounts) {
        const base = issuer === undefined ? {} : { [JWT_AUTH_ATTRIBUTES.issuer]: issuer };
        for (const outcome of ['hit', 'miss'] as const) {
          if (counts[outcome] > 0)
            result.observe(cacheRequests, counts[outcome], { ...base, [JWT_AUTH_ATTRIBUTES.cacheResult]: outcome });
        }
      }
      result.observe(cacheEvictions, cache.evictions);
      result.observe(cacheEntries, cache.entries);
      result.observe(cacheBytes, cache.bytes);
    }
    const now = (options.now ?? Date.now)();
    for (const [issuer, state] of Object.entries(verifier.getKeySourceStates())) {
      const attributes = { [JWT_AUTH_ATTRIBUTES.issuer]: issuer };
      if (state.fetchCounts !== undefined) {
        result.observe(keyFetches, state.fetchCounts.succeeded, {
          ...attributes,
          [JWT_AUTH_ATTRIBUTES.fetchResult]: 'success',
        });
        result.observe(keyFetches, state.fetchCounts.failed, {
          ...attributes,
          [JWT_AUTH_ATTRIBUTES.fetchResult]: 'failure',
        });
      }
      if (state.lastSuccessAt !== undefined)
        result.observe(timeSinceSuccess, Math.max(0, now - state.lastSuccessAt) / 1000, attributes);
      for (const status of STATUSES)
        result.observe(keyStatus, state.status === status ? 1 : 0, {
          ...attributes,
          [JWT_AUTH_ATTRIBUTES.status]: status,
        });
      if (state.staleServed !== undefined) result.observe(staleServed, state.staleServed, attributes);
      if (state.refetchesSuppressed !== undefined)
        result.observe(refetchesSuppressed, state.refetchesSuppressed, attributes);
    }
  };
  meter.addBatchObservableCallback(observe, observables);
  let closed = false;
  return {
    close: () => {
      if (closed) return;
      closed = true;
      stopObserving();
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}
