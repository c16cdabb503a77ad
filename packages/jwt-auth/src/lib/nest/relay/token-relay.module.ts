import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TokenRelay } from './token-relay';
import { TokenRelayInterceptor } from './token-relay.interceptor';

/**
 * Token relay for an app that uses `JwtAuthModule`: provides and exports {@link TokenRelay} and registers
 * {@link TokenRelayInterceptor} globally, so handlers (and the services they call) can forward the caller's token
 * without threading it through. Import it once, in the root module.
 * @example @Module({ imports: [JwtAuthModule.forRoot({ ...options, globalGuard: true }), TokenRelayModule] })
 */
@Module({
  providers: [TokenRelay, TokenRelayInterceptor, { provide: APP_INTERCEPTOR, useExisting: TokenRelayInterceptor }],
  exports: [TokenRelay],
})
export class TokenRelayModule {}
