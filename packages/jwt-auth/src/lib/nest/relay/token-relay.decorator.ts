import { UseInterceptors } from '@nestjs/common';
import { TokenRelayInterceptor } from './token-relay.interceptor';

/**
 * Runs {@link TokenRelayInterceptor} on this handler (or every handler of this controller), for apps that import
 * `TokenRelayModule.forRoot({ interceptor: 'per-route' })`. The default mode needs no marking.
 * @example @Post() @RelayAccessToken() create(@Body() body: Order) { return this.relay.send(this.inventory, 'reserve', body); }
 */
export function RelayAccessToken(): MethodDecorator & ClassDecorator {
  return UseInterceptors(TokenRelayInterceptor);
}
