import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { KeySourceState, KeySourceStatus } from '../../keys/key-source.interface';
import { AccessTokenVerifier } from '../../verification/access-token-verifier';

/** What the health details show of one issuer's key source (never key material). */
export interface KeySourceHealth {
  /** `fresh`, `stale` (last good keys served during an outage), `failing` (no usable keys) or `pending`. */
  readonly status: KeySourceStatus;
  /** Where the keys come from (`jwks`, `discovery`, `static`, ...). */
  readonly kind: string;
  /** Fetch URL of a remote source. */
  readonly url?: string;
  /** Key ids served now. */
  readonly keyIds: readonly string[];
  /** Last successful fetch, ISO 8601. */
  readonly lastSuccessAt?: string;
  /** When the next refresh (or retry) is due, ISO 8601. */
  readonly nextRefreshAt?: string;
  /** Failed fetches since the last success. */
  readonly consecutiveFailures: number;
  /** The last failure, log-safe. */
  readonly lastError?: string;
  /** Set while `stale`: the service still verifies tokens, but the issuer's key endpoint is failing. */
  readonly warning?: string;
}

/** Options of {@link KeySourcesHealthIndicator.isHealthy}. */
export interface KeySourcesHealthOptions {
  /**
   * Try to load keys for sources without usable ones (`pending` or `failing`) before answering, within their backoff:
   * a pod taken out of rotation gets no requests, and remote sources fetch only on lookups, so without this the probe
   * would wait forever for a fetch only traffic would start. @default true
   */
  readonly warmUp?: boolean;
  /**
   * Longest wait for that fetch, in ms, so the probe answers within a Kubernetes probe timeout; a fetch still under
   * way then goes on in the background and shows in the next probe. @default 1000
   */
  readonly warmUpTimeoutMs?: number;
}

const iso = (at: number | undefined): string | undefined => (at === undefined ? undefined : new Date(at).toISOString());

async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The health view of one key-source state. */
export function describeKeySource(state: KeySourceState): KeySourceHealth {
  return {
    status: state.status,
    kind: state.kind,
    ...(state.url === undefined ? {} : { url: state.url }),
    keyIds: state.keyIds,
    ...(state.lastSuccessAt === undefined ? {} : { lastSuccessAt: iso(state.lastSuccessAt) }),
    ...(state.nextRefreshAt === undefined ? {} : { nextRefreshAt: iso(state.nextRefreshAt) }),
    consecutiveFailures: state.consecutiveFailures,
    ...(state.lastError === undefined ? {} : { lastError: state.lastError }),
    ...(state.status === 'stale'
      ? { warning: 'key refresh is failing; the last good key set is served until it expires' }
      : {}),
  };
}

/**
 * A `@nestjs/terminus` health indicator for readiness: `up` while every issuer has usable keys (`fresh`, or `stale`
 * with a warning), `down` when any issuer is `failing` or still `pending`. Use it for readiness, not liveness: a
 * restart fixes no identity-provider outage, and a stale key set still verifies tokens. Add it to the providers of a
 * module that imports `TerminusModule` and `JwtAuthModule` (it reads the module's {@link AccessTokenVerifier}).
 * @example
 * check() { return this.health.check([() => this.keys.isHealthy('jwt-keys')]); }
 */
@Injectable()
export class KeySourcesHealthIndicator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly health: HealthIndicatorService,
  ) {}

  /** Per-issuer key-source health under `key`; `down` when any issuer has no usable keys. */
  async isHealthy<const Key extends string>(
    key: Key,
    options: KeySourcesHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    let states = this.verifier.getKeySourceStates();
    if (
      options.warmUp !== false &&
      Object.values(states).some((state) => state.status === 'pending' || state.status === 'failing')
    ) {
      await waitAtMost(this.verifier.warmUp(), options.warmUpTimeoutMs ?? 1000);
      states = this.verifier.getKeySourceStates();
    }
    const issuers: Record<string, KeySourceHealth> = {};
    let usable = true;
    for (const [issuer, state] of Object.entries(states)) {
      issuers[issuer] = describeKeySource(state);
      if (state.status !== 'fresh' && state.status !== 'stale') usable = false;
    }
    const session = this.health.check(key);
    return usable ? session.up({ issuers }) : session.down({ issuers });
  }
}
