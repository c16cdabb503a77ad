import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthPrincipal } from '../jwt/principal';
import { getAccessToken, getAuthPrincipal } from './auth-context';
import { isRpcAuthEnvelope } from './transports/rpc-auth-envelope';

/** The principal, or one of its claims, for the current call; `undefined` for an anonymous (`@OptionalAuth`) call. */
export function currentUserFactory(claim: string | undefined, context: ExecutionContext): unknown {
  const principal: AuthPrincipal | undefined = getAuthPrincipal(context);
  if (claim === undefined) return principal;
  const claims = principal?.claims;
  // Own members only: `claim` comes from code, but the claims object must not answer with inherited members.
  return claims !== undefined && claims !== null && Object.hasOwn(claims, claim) ? claims[claim] : undefined;
}

/**
 * The authenticated {@link AuthPrincipal}, or with a name the value of that claim; the same on HTTP and RPC.
 * @example handler(@CurrentUser() user: AuthPrincipal, @CurrentUser('sub') subject: string)
 */
export const CurrentUser = createParamDecorator<string | undefined>(currentUserFactory);

/** The raw access token the call was authenticated with (for relaying to a downstream service); `undefined` when anonymous. */
export function accessTokenFactory(_data: unknown, context: ExecutionContext): string | undefined {
  return getAccessToken(context);
}

/**
 * The raw access token of the call; never log it.
 * @example relay(@AccessToken() token: string) { return this.client.send('x', createRpcAuthEnvelope(token, data)); }
 */
export const AccessToken = createParamDecorator<void>(accessTokenFactory);

/** The application payload of a message: `data` of an {@link RpcAuthEnvelope}, otherwise the payload itself. */
export function rpcDataFactory(_data: unknown, context: ExecutionContext): unknown {
  const payload: unknown = context.switchToRpc().getData();
  return isRpcAuthEnvelope(payload) ? payload.data : payload;
}

/**
 * The message payload without its auth envelope, for handlers that may be called with or without one.
 * @example getStock(@RpcData() query: StockQuery) {}
 */
export const RpcData = createParamDecorator<void>(rpcDataFactory);
