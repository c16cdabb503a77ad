import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TokenRelay } from './token-relay';
import { RelayInterceptorBinder, TokenRelayHttpContext } from './token-relay.binding';
import { TokenRelayInterceptor } from './token-relay.interceptor';

/** Options of {@link TokenRelayModule.forRoot}. */
export interface TokenRelayModuleOptions {
  /**
   * Where the caller's token becomes current:
   * - `auto`: every HTTP route, from a hook of the HTTP platform (no interceptor); every message handler, gateway
   *   handler and GraphQL resolver, from {@link TokenRelayInterceptor} bound to it.
   * - `global`: {@link TokenRelayInterceptor} as `APP_INTERCEPTOR`, on every route and handler Nest applies global
   *   interceptors to. Any interceptor makes Nest run a route through its interceptor pipeline, which on Fastify costs
   *   more than the rest of a small request (see the README's performance section).
   * - `per-route`: only where a handler or controller has `@RelayAccessToken()`.
   * @default 'auto'
   */
  readonly interceptor?: 'auto' | 'global' | 'per-route';
}

@Module({ providers: [TokenRelay, TokenRelayInterceptor], exports: [TokenRelay, TokenRelayInterceptor] })
class PerRouteTokenRelayModule {}

@Module({
  providers: [TokenRelay, TokenRelayInterceptor, { provide: APP_INTERCEPTOR, useExisting: TokenRelayInterceptor }],
  exports: [TokenRelay],
})
class GlobalTokenRelayModule {}

/**
 * Token relay for an app that uses `JwtAuthModule`: provides and exports {@link TokenRelay}, and makes the token that
 * `JwtAuthGuard` accepted current while each handler (and everything it awaits) runs, so handlers and the services
 * they call can forward the caller's token without threading it through. Import it once, in the root module;
 * `forRoot({ interceptor })` chooses how (see {@link TokenRelayModuleOptions}).
 * @example @Module({ imports: [JwtAuthModule.forRoot({ ...options, globalGuard: true }), TokenRelayModule] })
 */
@Module({
  providers: [TokenRelay, TokenRelayInterceptor, TokenRelayHttpContext, RelayInterceptorBinder],
  exports: [TokenRelay, TokenRelayInterceptor],
})
export class TokenRelayModule implements OnModuleInit {
  constructor(private readonly httpContext: TokenRelayHttpContext) {}

  /** The module in the given mode; a plain import is `auto`. */
  static forRoot(options: TokenRelayModuleOptions = {}): DynamicModule {
    const interceptor = options.interceptor ?? 'auto';
    if (interceptor === 'auto') return { module: TokenRelayModule };
    if (interceptor === 'global') return { module: GlobalTokenRelayModule };
    if (interceptor === 'per-route') return { module: PerRouteTokenRelayModule };
    throw new TypeError(
      `TokenRelayModule.forRoot: interceptor must be 'auto', 'global' or 'per-route', not ${String(interceptor)}`,
    );
  }

  /** Nest has registered the routes: hook the HTTP platform (see {@link TokenRelayHttpContext}). */
  onModuleInit(): void {
    this.httpContext.install();
  }
}
