import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { IdentityConfig } from '../config/identity.config';
import { RegisteredClient } from '../directory/directory';
import { DirectoryService } from '../directory/directory.service';
import { IDENTITY_CONFIG } from '../identity.constants';
import { SsoSession } from '../session/sso-session.store';
import { OidcTokenSigner } from '../tokens/oidc-token.signer';

/** Per-attempt deadline of a delivery; a client that does not answer in time counts as down. */
const DELIVERY_TIMEOUT_MS = 5000;

/** The outcome of one delivery attempt, for tests and logs. */
export interface BackchannelAttempt {
  readonly clientId: string;
  readonly attempt: number;
  /** `jti` of the logout token this attempt carried. */
  readonly jti: string;
  readonly status: number | 'error';
}

/**
 * OpenID Connect Back-Channel Logout 1.0: when an SSO session ends, every client that got a code in it and
 * registered a `backchannel_logout_uri` receives a logout token by a direct POST. Deliveries run in the background,
 * never delaying the person's logout, and a client that is down or answers other than 200/204 is retried with
 * exponential backoff (a fresh token each time, so its replay protection does not refuse the retry).
 */
@Injectable()
export class BackchannelLogoutService implements OnModuleDestroy {
  private readonly logger = new Logger(BackchannelLogoutService.name);
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly inFlight = new Set<Promise<void>>();
  private isClosed = false;
  /** Receives every attempt; tests observe retries through it. */
  onAttempt: ((attempt: BackchannelAttempt) => void) | undefined;

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    private readonly directory: DirectoryService,
    private readonly signer: OidcTokenSigner,
  ) {}

  /** Starts the deliveries for an ended session and returns at once. */
  sessionEnded(session: SsoSession): void {
    for (const clientId of session.clientIds) {
      const client = this.directory.findClient(clientId);
      if (client?.backchannelLogoutUri) this.track(this.deliver(client, client.backchannelLogoutUri, session, 1));
    }
  }

  /** Resolves once no delivery is running or scheduled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Cancels scheduled retries. */
  onModuleDestroy(): void {
    this.isClosed = true;
    for (const [timer, wake] of this.timers) {
      clearTimeout(timer);
      wake();
    }
    this.timers.clear();
  }

  // A delivery runs detached from any request: a throw in it must end up in the log, never as an unhandled rejection
  // (which ends the process).
  private track(delivery: Promise<void>): void {
    const tracked = delivery.catch((error: unknown) =>
      this.logger.error(
        `back-channel logout delivery failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      ),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async deliver(client: RegisteredClient, uri: string, session: SsoSession, attempt: number): Promise<void> {
    if (this.isClosed) return;
    const clientId = client.clientId;
    const { token, jti } = this.signer.signLogoutToken(clientId, client.idTokenAlg, session.sub, session.sid);
    let status: number | 'error';
    try {
      const response = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
        body: new URLSearchParams({ logout_token: token }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
    } catch {
      status = 'error';
    }
    this.onAttempt?.({ clientId, attempt, jti, status });
    // Section 2.8: 200 (or 204) means the client ended its session; anything else, or no answer, is retried.
    if (status === 200 || status === 204) {
      this.logger.log(`back-channel logout delivered client_id=${clientId} jti=${jti} attempt=${attempt}`);
      return;
    }
    if (attempt >= this.config.backchannelMaxAttempts || this.isClosed) {
      this.logger.warn(`back-channel logout gave up client_id=${clientId} after ${attempt} attempts (last: ${status})`);
      return;
    }
    const delay = this.config.backchannelRetryInitialMs * 2 ** (attempt - 1);
    this.logger.warn(
      `back-channel logout failed client_id=${clientId} attempt=${attempt} (${status}); retrying in ${delay} ms`,
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, delay);
      timer.unref();
      this.timers.set(timer, resolve);
    });
    if (this.isClosed) return;
    await this.deliver(client, uri, session, attempt + 1);
  }
}
