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
  /** Display name. */
  readonly name: string;
  /** When the user authenticated (epoch seconds). */
  readonly authTime: number;
  /** Public session id put in ID and logout tokens (`sid`); unrelated to the cookie value. */
  readonly sid: string;
  /** CSRF token of the plain sign-out form (`POST /logout` without `logout_request`); only identity's pages show it. */
  readonly csrfToken: string;
  /** Clients that got a code in this session: the ones told by back-channel logout when it ends. */
  readonly clientIds: Set<string>;
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
    const session: SsoSession = {
      sub: user.sub,
      username: user.username,
      name: user.name,
      authTime: epochSeconds(this.clock),
      sid: randomToken(16),
      csrfToken: randomToken(),
      clientIds: new Set(),
    };
    this.sessions.set(tokenDigest(id), session, this.clock.now() + this.config.sessionTtlSeconds * 1000);
    return { id, session };
  }

  /** The live session for a cookie value, if any. */
  find(id: string | undefined): SsoSession | undefined {
    return id ? this.sessions.get(tokenDigest(id)) : undefined;
  }

  /** Ends a session and returns it, if it was live. */
  destroy(id: string | undefined): SsoSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(tokenDigest(id));
    this.sessions.delete(tokenDigest(id));
    return session;
  }
}
