import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { IdentityConfig } from '../config/identity.config';
import { randomToken, tokenDigest } from '../crypto/opaque-token';
import { CLOCK, IDENTITY_CONFIG } from '../identity.constants';
import { OAuthError } from '../oauth/oauth.errors';

/** What a refresh token lets its client obtain again. */
export interface RefreshGrant {
  /** Client the token is bound to. */
  readonly clientId: string;
  /** Resource owner. */
  readonly sub: string;
  /** Scopes of the original grant. */
  readonly scopes: readonly string[];
  /** Audiences of the original grant. */
  readonly audiences: readonly string[];
  /** The SSO session (`sid`) the grant was made in; ending that session revokes the grant. */
  readonly sid?: string;
}

interface RefreshEntry {
  readonly familyId: string;
  readonly grant: RefreshGrant;
  isUsed: boolean;
}

interface Family {
  isRevoked: boolean;
}

/**
 * Opaque refresh tokens with rotation: each use returns a successor and spends the old token;
 * presenting a spent token revokes its whole family (OAuth 2.0 Security BCP, RFC 9700 section 4.14.2).
 * Ending an SSO session revokes every token granted in it ({@link RefreshTokenStore.revokeSession}).
 * Only SHA-256 digests are stored, in memory.
 */
@Injectable()
export class RefreshTokenStore {
  private readonly logger = new Logger(RefreshTokenStore.name);
  private readonly tokens: ExpiringMap<RefreshEntry>;
  private readonly families: ExpiringMap<Family>;
  /** Ended SSO sessions (`sid`), kept as long as a token granted in them could live. */
  private readonly endedSessions: ExpiringMap<true>;

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.tokens = new ExpiringMap(clock, 100_000);
    this.families = new ExpiringMap(clock, 100_000);
    this.endedSessions = new ExpiringMap(clock, 100_000);
  }

  /** Issues a refresh token for `grant`, starting a new family unless `familyId` continues one. */
  issue(grant: RefreshGrant, familyId = randomToken(16)): { token: string; familyId: string } {
    const token = randomToken();
    const expiresAt = this.clock.now() + this.config.refreshTokenTtlSeconds * 1000;
    const family = this.families.get(familyId) ?? { isRevoked: false };
    this.families.set(familyId, family, expiresAt);
    this.tokens.set(tokenDigest(token), { familyId, grant, isUsed: false }, expiresAt);
    return { token, familyId };
  }

  /**
   * Spends `token` for `clientId`; throws `invalid_grant` when it is unknown, expired, foreign, revoked or replayed.
   * `check` runs before the token is spent, so a request refused for its parameters leaves the token usable.
   */
  use<T>(
    token: string,
    clientId: string,
    check: (grant: RefreshGrant) => T,
  ): { checked: T; grant: RefreshGrant; familyId: string } {
    const entry = this.tokens.get(tokenDigest(token));
    if (!entry || entry.grant.clientId !== clientId) {
      throw new OAuthError('invalid_grant', 'refresh token is invalid, expired or issued to another client');
    }
    const family = this.families.get(entry.familyId);
    if (!family || family.isRevoked) throw new OAuthError('invalid_grant', 'refresh token has been revoked');
    if (entry.grant.sid !== undefined && this.endedSessions.get(entry.grant.sid)) {
      throw new OAuthError('invalid_grant', 'refresh token has been revoked: the session it was granted in has ended');
    }
    if (entry.isUsed) {
      this.revokeFamily(entry.familyId);
      this.logger.warn(`refresh token reuse detected: revoked the token family (client_id=${clientId})`);
      throw new OAuthError('invalid_grant', 'refresh token was already used; the grant has been revoked');
    }
    const checked = check(entry.grant);
    entry.isUsed = true;
    return { checked, grant: entry.grant, familyId: entry.familyId };
  }

  /**
   * Revokes every token granted in the SSO session `sid`, at once and for as long as such a token could live,
   * including tokens issued later from an authorization code of that session.
   */
  revokeSession(sid: string): void {
    this.endedSessions.set(sid, true, this.clock.now() + this.config.refreshTokenTtlSeconds * 1000);
  }

  /** Revokes every token of a family. */
  revokeFamily(familyId: string): void {
    const family = this.families.get(familyId);
    if (family) family.isRevoked = true;
  }
}
