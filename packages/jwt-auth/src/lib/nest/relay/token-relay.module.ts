import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TokenRelay } from './token-relay';
import { TokenRelayInterceptor } from './token-relay.interceptor';

/** Options of {@link TokenRelayModule.forRoot}. */
export interface TokenRelayModuleOptions {
  /**
   * `global` runs {@link TokenRelayInterceptor} on every route; `per-route` only where a handler or controller has
   * `@RelayAccessToken()`. Any interceptor makes Nest run a route through its interceptor pipeline, which on Fastify
   * costs more than the rest of a small request (see the README's performance section), so an app whose relaying
   * routes are few should choose `per-route`.
   * @default 'global'
   */
  readonly interceptor?: 'global' | 'per-route';
}

@Module({ providers: [TokenRelay, TokenRelayInterceptor], exports: [TokenRelay, TokenRelayInterceptor] })
class PerRouteTokenRelayModule {}

/**
 * Token relay for an app that uses `JwtAuthModule`: provides and exports {@link TokenRelay} and registers
 * {@link TokenRelayInterceptor} globally, so handlers (and the services they call) can forward the caller's token
 * without threading it through. Import it once, in the root module; `forRoot({ interceptor: 'per-route' })` limits
 * the interceptor to handlers marked `@RelayAccessToken()`.
 * @example @Module({ imports: [JwtAuthModule.forRoot({ ...options, globalGuard: true }), TokenRelayModule] })
 */
@Module({
  providers: [TokenRelay, TokenRelayInterceptor, { provide: APP_INTERCEPTOR, useExisting: TokenRelayInterceptor }],
  exports: [TokenRelay],
})
export class TokenRelayModule {
  /** The module with the interceptor on every route (`global`, as a plain import) or on marked routes only. */
  static forRoot(options: TokenRelayModuleOptions = {}): DynamicModule {
    const interceptor = options.interceptor ?? 'global';
    if (interceptor === 'global') return { module: TokenRelayModule };
    if (interceptor === 'per-route') return { module: PerRouteTokenRelayModule };
    throw new TypeError(
      `TokenRelayModule.forRoot: interceptor must be 'global' or 'per-route', not ${String(interceptor)}`,
    );
  }
}
