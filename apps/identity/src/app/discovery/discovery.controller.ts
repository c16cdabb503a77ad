import { Controller, Get, Header } from '@nestjs/common';
import { DirectoryService } from '../directory/directory.service';
import { PublicJwks, SigningKeyManager } from '../keys/signing-key.manager';
import { SIGNING_ALGORITHMS } from '../keys/signing-algorithm';
import { IssuerService } from '../oauth/issuer.service';

/** `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 / RFC 8414 metadata) and `GET /.well-known/jwks.json`. */
@Controller('.well-known')
export class DiscoveryController {
  constructor(
    private readonly issuer: IssuerService,
    private readonly keys: SigningKeyManager,
    private readonly directory: DirectoryService,
  ) {}

  /** Authorization server metadata. */
  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  configuration(): Record<string, unknown> {
    return {
      issuer: this.issuer.issuer,
      authorization_endpoint: this.issuer.endpoint('/authorize'),
      token_endpoint: this.issuer.endpoint('/oauth/token'),
      jwks_uri: this.issuer.endpoint('/.well-known/jwks.json'),
      userinfo_endpoint: this.issuer.endpoint('/userinfo'),
      end_session_endpoint: this.issuer.endpoint('/logout'),
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      scopes_supported: this.directory.allScopes(),
      authorization_response_iss_parameter_supported: true,
      access_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'auth_time',
        'nonce',
        'sid',
        'at_hash',
        'name',
        'preferred_username',
      ],
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    };
  }

  /** The public signing keys: `next`, `current` and still-needed `retired` keys of every algorithm. */
  @Get('jwks.json')
  // Short enough that verifiers see a `next` key long before it signs (it is published a full rotation period ahead).
  @Header('Cache-Control', 'public, max-age=300')
  jwks(): Promise<PublicJwks> {
    return this.keys.publicJwks();
  }
}
