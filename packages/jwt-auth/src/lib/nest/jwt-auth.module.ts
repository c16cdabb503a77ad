import { Inject, Module, type NestModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { logSafe } from '../errors/log-safe';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { AuthBeforeBody } from './auth-before-body';
import { AuthMetadataInspector } from './auth-metadata.inspector';
import { BearerAuthExceptionFilter } from './bearer-auth-exception.filter';
import type { JwtAuthModuleOptions } from './jwt-auth-options.interface';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { JWT_AUTH_MODULE_OPTIONS, JwtAuthConfigurableModuleClass } from './jwt-auth.module-definition';
import { JwtAuthGuard } from './jwt-auth.guard';
import { GraphqlAuth } from './graphql-auth';
import { ScopesGuard } from './scopes.guard';
import { WsAuthenticator } from './ws-authenticator';

/**
 * Bearer access-token authentication for HTTP (Express, Fastify) and microservices. Provides
 * {@link AccessTokenVerifier} (for direct use and key-source health), {@link JwtAuthGuard} and {@link ScopesGuard};
 * validates its options at boot and warms the key sources up without failing boot when an issuer is down.
 * @example JwtAuthModule.forRoot({ issuer: 'https://id.example.com', audience: 'orders-api', globalGuard: true })
 * @example JwtAuthModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c: ConfigService) => ({ issuer: c.getOrThrow('ISSUER'), audience: 'orders-api' }) })
 */
@Module({
  providers: [
    {
      provide: ResolvedJwtAuthOptions,
      useFactory: (options: JwtAuthModuleOptions) => new ResolvedJwtAuthOptions(options),
      inject: [JWT_AUTH_MODULE_OPTIONS],
    },
    {
      provide: AccessTokenVerifier,
      useFactory: (options: ResolvedJwtAuthOptions) => new AccessTokenVerifier(options.verifierOptions),
      inject: [ResolvedJwtAuthOptions],
    },
    { provide: APP_FILTER, useClass: BearerAuthExceptionFilter },
    JwtAuthGuard,
    ScopesGuard,
    AuthMetadataInspector,
    WsAuthenticator,
    GraphqlAuth,
    AuthBeforeBody,
  ],
  exports: [AccessTokenVerifier, ResolvedJwtAuthOptions, JwtAuthGuard, ScopesGuard, WsAuthenticator, GraphqlAuth],
})
export class JwtAuthModule
  extends JwtAuthConfigurableModuleClass
  implements NestModule, OnApplicationBootstrap, OnModuleDestroy
{
  constructor(
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
    @Inject(ResolvedJwtAuthOptions) private readonly options: ResolvedJwtAuthOptions,
    @Inject(AuthBeforeBody) private readonly authBeforeBody: AuthBeforeBody,
  ) {
    super();
  }

  /**
   * Runs while the HTTP app initialises, after Nest applied its body parsers and before it registers routes: the one
   * moment to hold the parsers back (Express) or tag routes and hook `onRequest` (Fastify). See {@link AuthBeforeBody}.
   */
  configure(): void {
    this.authBeforeBody.install();
  }

  /**
   * Check module options the way boot does, without starting anything: throws a `JwtAuthConfigError` naming every
   * problem. For configuration loaders that want to report problems before Nest starts.
   */
  static validateOptions(options: JwtAuthModuleOptions): void {
    new AccessTokenVerifier(new ResolvedJwtAuthOptions(options).verifierOptions).close();
  }

  onApplicationBootstrap(): void {
    // Not awaited: a slow or unreachable issuer must neither delay nor fail boot; failures surface as key-source events.
    this.verifier.warmUp().catch((error: unknown) => {
      this.options.logger.warn(
        `Key warm-up failed: ${logSafe(error instanceof Error ? error.message : String(error), 256)}`,
      );
    });
  }

  onModuleDestroy(): void {
    this.verifier.close();
  }
}
