import { Injectable, Logger } from '@nestjs/common';
import { BackchannelLogoutService } from '../oidc/backchannel-logout.service';
import { RefreshTokenStore } from '../tokens/refresh-token.store';
import { SsoSession, SsoSessionStore } from './sso-session.store';

/**
 * The one way an SSO session ends (logout, or a new login replacing it): the session record goes, the refresh tokens
 * granted in it stop working at once, and its clients are told by back-channel logout. Revocation does not wait for
 * (or depend on) back-channel delivery.
 */
@Injectable()
export class SessionEndingService {
  private readonly logger = new Logger(SessionEndingService.name);

  constructor(
    private readonly sessions: SsoSessionStore,
    private readonly refreshTokens: RefreshTokenStore,
    private readonly backchannel: BackchannelLogoutService,
  ) {}

  /** Ends the session behind the cookie value `id`, if it is live, and returns it. */
  end(id: string | undefined, reason: 'logout' | 'replaced by a new login'): SsoSession | undefined {
    const session = this.sessions.destroy(id);
    if (!session) return undefined;
    this.refreshTokens.revokeSession(session.sid);
    this.logger.log(`session ended (${reason}) sub=${session.sub}: its refresh tokens are revoked`);
    this.backchannel.sessionEnded(session);
    return session;
  }
}
