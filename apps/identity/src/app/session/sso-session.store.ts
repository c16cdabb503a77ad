import { Inject, Injectable } from '@nestjs/common';
import { Clock, epochSeconds } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { IdentityConfig } from '../config/identity.config';
import { randomToken, tokenDigest } from '../crypto/opaque-token';
import { User } from '../directory/directory';
import { CLOCK, IDENTITY_CONFIG } from '../identity.constants';

/** A signed-in user, shared by every client that sends the browser through this issuer. */
export interface SsoSession {
  /** Subject of the user. */
  readonly sub: string;
  /** Login name. */
  readonly username: string;
  /** When the user authenticated (epoch seconds). */
  readonly authTime: number;
}

/** Server-side SSO sessions in memory, looked up by the SHA-256 digest of the random cookie value. */
@Injectable()
export class SsoSessionStore {
  private readonly sessions: ExpiringMap<SsoSession>;

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.sessions = new ExpiringMap(clock, 100_000);
  }

  /** Starts a session for `user`; `id` is the new cookie value. */
  create(user: User): { id: string; session: SsoSession } {
    const id = randomToken();
    const session = { sub: user.sub, username: user.username, authTime: epochSeconds(this.clock) };
    this.sessions.set(tokenDigest(id), session, this.clock.now() + this.config.sessionTtlSeconds * 1000);
    return { id, session };
  }

  /** The live session for a cookie value, if any. */
  find(id: string | undefined): SsoSession | undefined {
    return id ? this.sessions.get(tokenDigest(id)) : undefined;
  }

  /** Ends a session. */
  destroy(id: string | undefined): void {
    if (id) this.sessions.delete(tokenDigest(id));
  }
}
