import { Inject, Injectable } from '@nestjs/common';
import { Clock, epochSeconds } from '../clock/clock';
import { IdentityConfig } from '../config/identity.config';
import { randomToken } from '../crypto/opaque-token';
import { IDENTITY_CONFIG, CLOCK } from '../identity.constants';
import { SigningKeyManager } from '../keys/signing-key.manager';
import { SigningAlgorithm, signCompactJws, signJws } from '../keys/signing-algorithm';
import { IssuerService } from '../oauth/issuer.service';
import { formatScope } from '../oauth/scopes';
import { PrivateCa } from '../pki/private-ca';

/** What an access token is about. */
export interface AccessTokenGrant {
  /** Algorithm chosen by the client registration. */
  readonly alg: SigningAlgorithm;
  /** Client the token is issued to. */
  readonly clientId: string;
  /** Resource owner, or the client itself for client_credentials (RFC 9068 section 2.2). */
  readonly sub: string;
  /** Granted scopes. */
  readonly scopes: readonly string[];
  /** Resource servers the token is meant for. */
  readonly audiences: readonly string[];
}

/** A signed access token and the facts safe to log about it. */
export interface SignedAccessToken {
  /** The compact JWS; never logged. */
  readonly token: string;
  /** Seconds until `exp`. */
  readonly expiresIn: number;
  /** Unique token id. */
  readonly jti: string;
  /** Key id that signed it. */
  readonly kid: string;
}

/** Issues RFC 9068 JWT access tokens (`typ: at+jwt`) signed with node:crypto by the current key of the client's algorithm. */
@Injectable()
export class AccessTokenSigner {
  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keys: SigningKeyManager,
    private readonly issuer: IssuerService,
    @Inject(PrivateCa) private readonly ca: PrivateCa,
  ) {}

  // Configured clients, or tokens all of whose audiences are configured, are signed by the private CA's certificate.
  private isX509(grant: AccessTokenGrant): boolean {
    const { x509Clients, x509Audiences } = this.config;
    return (
      x509Clients.includes(grant.clientId) ||
      (x509Audiences.length > 0 && grant.audiences.every((audience) => x509Audiences.includes(audience)))
    );
  }

  /** Signs an access token for `grant` that expires after the configured TTL. */
  sign(grant: AccessTokenGrant): SignedAccessToken {
    const iat = epochSeconds(this.clock);
    const expiresIn = this.config.accessTokenTtlSeconds;
    const jti = randomToken(16);
    const payload = {
      iss: this.issuer.issuer,
      sub: grant.sub,
      aud: grant.audiences.length === 1 ? grant.audiences[0] : [...grant.audiences],
      exp: iat + expiresIn,
      iat,
      jti,
      client_id: grant.clientId,
      scope: formatScope(grant.scopes),
    };
    if (this.isX509(grant)) {
      // Self-contained: the chain travels in the token, and a verifier trusting the root CA needs nothing else.
      const material = this.ca.signingMaterial;
      const header = { alg: 'ES256', typ: 'at+jwt', x5c: material.x5c, 'x5t#S256': material.x5tS256 };
      const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
      const signature = signJws('ES256', material.privateKey, Buffer.from(signingInput, 'ascii'));
      const token = `${signingInput}.${signature.toString('base64url')}`;
      return { token, expiresIn, jti, kid: `x5t#S256:${material.x5tS256}` };
    }
    const key = this.keys.signingKey(grant.alg);
    return { token: signCompactJws(key, 'at+jwt', payload), expiresIn, jti, kid: key.kid };
  }
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
