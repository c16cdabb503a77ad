import { DynamicModule, Module } from '@nestjs/common';
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
import { LoginTransactionStore } from './session/login-transaction.store';
import { LoginController } from './session/login.controller';
import { SsoSessionStore } from './session/sso-session.store';
import { AccessTokenSigner } from './tokens/access-token.signer';
import { AuthorizationCodeStore } from './tokens/authorization-code.store';
import { RefreshTokenStore } from './tokens/refresh-token.store';

/** What {@link IdentityModule.forRoot} needs: validated config, the seed directory and a clock. */
export interface IdentityModuleOptions {
  /** Validated configuration. */
  readonly config: IdentityConfig;
  /** Users and clients. */
  readonly directory: Directory;
  /** Time source. */
  readonly clock: Clock;
}

/** The identity service: discovery, JWKS, authorize + login, token endpoint, key rotation. */
@Module({})
export class IdentityModule {
  /** Builds the module around already-validated inputs (loaded before Nest starts, so errors are plain and early). */
  static forRoot(options: IdentityModuleOptions): DynamicModule {
    return {
      module: IdentityModule,
      controllers: [
        DiscoveryController,
        TokenController,
        AuthorizeController,
        LoginController,
        AdminController,
        PkiController,
      ],
      providers: [
        { provide: IDENTITY_CONFIG, useValue: options.config },
        { provide: DIRECTORY, useValue: options.directory },
        { provide: CLOCK, useValue: options.clock },
        // The private CA is created on first start (keys 0600 under <dataDir>/pki) before the server listens.
        {
          provide: PrivateCa,
          useFactory: () => PrivateCa.open(options.config.dataDir, () => options.clock.now()),
        },
        IssuerService,
        DirectoryService,
        SigningKeyManager,
        AccessTokenSigner,
        AuthorizationCodeStore,
        RefreshTokenStore,
        SsoSessionStore,
        LoginTransactionStore,
        ClientAuthenticator,
        TokenService,
        AuthorizationService,
      ],
    };
  }
}
