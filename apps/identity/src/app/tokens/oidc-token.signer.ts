import { Inject, Injectable } from '@nestjs/common';
import { BACKCHANNEL_LOGOUT_EVENT } from '@nest-sso/jwt-auth';
import { createHash } from 'node:crypto';
import { Clock, epochSeconds } from '../clock/clock';
import { IdentityConfig } from '../config/identity.config';
import { randomToken } from '../crypto/opaque-token';
import { CLOCK, IDENTITY_CONFIG } from '../identity.constants';
import { SigningKeyManager } from '../keys/signing-key.manager';
import { SigningAlgorithm, signCompactJws } from '../keys/signing-algorithm';
import { IssuerService } from '../oauth/issuer.service';

/** Default algorithm of ID tokens and logout tokens: RS256, the one every OpenID relying party must support (OIDC Core 15.1). */
export const OIDC_SIGNING_ALGORITHM: SigningAlgorithm = 'RS256';

/** What an ID token states about a sign-in. */
export interface IdTokenClaims {
  /** The client (`aud`). */
  readonly clientId: string;
  /** The client's registered ID token algorithm. */
  readonly alg: SigningAlgorithm;
  /** The user. */
  readonly sub: string;
  /** When the user authenticated (epoch seconds). */
  readonly authTime: number;
  /** SSO session id. */
  readonly sid: string;
  /** The request's `nonce`, when it had one. */
  readonly nonce?: string;
  /** The access token issued alongside, for `at_hash`. */
  readonly accessToken: string;
}

/** `at_hash` (OIDC Core 3.1.3.6): the left half of the SHA-256 of the access token, base64url. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/** Signs ID tokens and Back-Channel Logout tokens with the current key of the client's algorithm (RS256 by default). */
@Injectable()
export class OidcTokenSigner {
  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keys: SigningKeyManager,
    private readonly issuer: IssuerService,
  ) {}

  /** An ID token (OIDC Core 2) for `claims.clientId`. */
  signIdToken(claims: IdTokenClaims): string {
    const iat = epochSeconds(this.clock);
    return this.sign(claims.alg, 'JWT', {
      iss: this.issuer.issuer,
      sub: claims.sub,
      aud: claims.clientId,
      exp: iat + this.config.idTokenTtlSeconds,
      iat,
      auth_time: claims.authTime,
      ...(claims.nonce !== undefined && { nonce: claims.nonce }),
      sid: claims.sid,
      at_hash: accessTokenHash(claims.accessToken),
    });
  }

  /**
   * A logout token (Back-Channel Logout 1.0 section 2.4): explicitly typed `logout+jwt`, the back-channel event, `sid`
   * and `sub`, a fresh `jti`, a two-minute lifetime and never a `nonce`.
   */
  signLogoutToken(clientId: string, alg: SigningAlgorithm, sub: string, sid: string): { token: string; jti: string } {
    const iat = epochSeconds(this.clock);
    const jti = randomToken(16);
    const token = this.sign(alg, 'logout+jwt', {
      iss: this.issuer.issuer,
      sub,
      aud: clientId,
      iat,
      exp: iat + 120,
      jti,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sid,
    });
    return { token, jti };
  }

  private sign(alg: SigningAlgorithm, typ: string, payload: object): string {
    return signCompactJws(this.keys.signingKey(alg), typ, payload);
  }
}
