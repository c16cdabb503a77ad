import { DynamicModule, Logger, Module } from '@nestjs/common';
import { JwtAuthModule } from '@nest-sso/jwt-auth';
import { AdminController } from './admin/admin.controller';
import { Clock } from './clock/clock';
import { IdentityConfig } from './config/identity.config';
import { Directory } from './directory/directory';
import { DirectoryService } from './directory/directory.service';
import { DiscoveryController } from './discovery/discovery.controller';
import { CLOCK, DIRECTORY, IDENTITY_CONFIG } from './identity.constants';
import { SigningKeyManager } from './keys/signing-key.manager';
import { PkiController } from './pki/pki.controller';
import { PrivateCa } from './pki/private-ca';
import { AuthorizationService } from './oauth/authorization.service';
import { AuthorizeController } from './oauth/authorize.controller';
import { ClientAuthenticator } from './oauth/client-authenticator';
import { IssuerService } from './oauth/issuer.service';
import { TokenController } from './oauth/token.controller';
import { TokenService } from './oauth/token.service';
import { BackchannelLogoutService } from './oidc/backchannel-logout.service';
import { EndSessionController } from './oidc/end-session.controller';
import { SigningKeyManagerKeySource } from './oidc/signing-key.key-source';
import { UserinfoController } from './oidc/userinfo.controller';
import { LoginTransactionStore } from './session/login-transaction.store';
import { LoginController } from './session/login.controller';
import { SessionEndingService } from './session/session-ending.service';
import { SsoSessionStore } from './session/sso-session.store';
import { AccessTokenSigner } from './tokens/access-token.signer';
import { AuthorizationCodeStore } from './tokens/authorization-code.store';
import { OidcTokenSigner } from './tokens/oidc-token.signer';
import { RefreshTokenStore } from './tokens/refresh-token.store';

/** What {@link IdentityModule.forRoot} needs: validated config, the seed directory and a clock. */
export interface IdentityModuleOptions {
  /** Validated configuration; its `issuer` must be known (createIdentityApp binds the port first). */
  readonly config: IdentityConfig;
  /** Users and clients. */
  readonly directory: Directory;
  /** Time source. */
  readonly clock: Clock;
}

/** Configuration, directory, issuer and signing keys: shared by the identity module and its own token guard. */
@Module({})
export class IdentityCoreModule {
  /** The core providers around validated inputs. */
  static forRoot(options: IdentityModuleOptions): DynamicModule {
    const providers = [
      { provide: IDENTITY_CONFIG, useValue: options.config },
      { provide: DIRECTORY, useValue: options.directory },
      { provide: CLOCK, useValue: options.clock },
      IssuerService,
      DirectoryService,
      SigningKeyManager,
    ];
    return { module: IdentityCoreModule, providers, exports: providers };
  }
}

/** The identity service: discovery, JWKS, authorize + login, token endpoint, OIDC (userinfo, logout), key rotation. */
@Module({})
export class IdentityModule {
  /** Builds the module around already-validated inputs (loaded before Nest starts, so errors are plain and early). */
  static forRoot(options: IdentityModuleOptions): DynamicModule {
    const core = IdentityCoreModule.forRoot(options);
    return {
      module: IdentityModule,
      imports: [
        core,
        // The userinfo endpoint is guarded by the package itself, verifying this service's own access tokens offline:
        // any audience a client's tokens may carry, keys read in process from the key manager.
        JwtAuthModule.forRootAsync({
          imports: [core],
          inject: [IssuerService, SigningKeyManager, DirectoryService],
          useFactory: (issuer: IssuerService, keys: SigningKeyManager, directory: DirectoryService) => ({
            issuer: issuer.issuer,
            audience: directory.allAudiences(),
            algorithms: ['RS256', 'ES256', 'EdDSA'],
            // RFC 9068 strictly (typ at+jwt; sub, client_id, iat, jti), as the resource services hold them.
            profile: 'rfc9068',
            keySource: new SigningKeyManagerKeySource(keys),
            realm: 'identity',
          }),
        }),
      ],
      controllers: [
        DiscoveryController,
        TokenController,
        AuthorizeController,
        LoginController,
        EndSessionController,
        UserinfoController,
        AdminController,
        PkiController,
      ],
      providers: [
        // The private CA is created on first start (keys 0600 under <dataDir>/pki) before the server listens.
        {
          provide: PrivateCa,
          useFactory: async () => {
            const ca = await PrivateCa.open(options.config.dataDir, () => options.clock.now());
            // Re-issues the CRLs past half their validity; the timer is unref'd and stopped on shutdown.
            ca.startCrlRefresh(options.config.crlCheckSeconds * 1000, (error) =>
              new Logger('PrivateCa').error(`CRL re-issue failed: ${String(error)}`),
            );
            return ca;
          },
        },
        AccessTokenSigner,
        OidcTokenSigner,
        AuthorizationCodeStore,
        RefreshTokenStore,
        SsoSessionStore,
        LoginTransactionStore,
        ClientAuthenticator,
        TokenService,
        AuthorizationService,
        BackchannelLogoutService,
        SessionEndingService,
      ],
    };
  }
}
