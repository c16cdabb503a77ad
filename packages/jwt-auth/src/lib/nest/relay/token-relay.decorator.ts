import { UseInterceptors } from '@nestjs/common';
import { TokenRelayInterceptor } from './token-relay.interceptor';

/**
 * Runs {@link TokenRelayInterceptor} on this handler (or every handler of this controller), for apps that import
 * `TokenRelayModule.forRoot({ interceptor: 'per-route' })`: only marked routes pay for Nest's interceptor pipeline.
 * @example @Post() @RelayAccessToken() create(@Body() body: Order) { return this.relay.send(this.inventory, 'reserve', body); }
 */
export function RelayAccessToken(): MethodDecorator & ClassDecorator {
  return UseInterceptors(TokenRelayInterceptor);
}
