import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { getAuthPrincipal } from './auth-context';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { assertRoleAndClaimRequirements, hasRequirements, readRouteRequirements } from './route-requirements';
import { assertScopeRequirements } from './scope-requirements';
import type { AuthTransport } from './transports/auth-transport.interface';
import { GraphqlAuthTransport } from './transports/graphql.transport';
import { HttpAuthTransport } from './transports/http.transport';
import { RpcAuthTransport } from './transports/rpc.transport';
import { WsAuthTransport } from './transports/ws.transport';

/**
 * Enforces `@Scopes` / `@AnyScope` / `@Roles` / `@AnyRole` / `@RequireClaim` against a principal another guard has
 * already attached, for example `@UseGuards(AuthGuard('jwt'), ScopesGuard)` with the default `validate` (which keeps
 * `request.user` the `AuthPrincipal`); answers 403 `insufficient_scope`, or 401 when there is no principal.
 * `JwtAuthGuard` checks them itself and needs no companion.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly transports: Readonly<Record<string, AuthTransport>>;

  constructor(
    protected readonly reflector: Reflector,
    protected readonly options: ResolvedJwtAuthOptions,
  ) {
    this.transports = {
      http: new HttpAuthTransport([], options.realm),
      rpc: new RpcAuthTransport(),
      ws: new WsAuthTransport(options.logger),
      graphql: new GraphqlAuthTransport(),
    };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const transport: AuthTransport | undefined = this.transports[context.getType()];
    try {
      if (!transport)
        throw new AuthError(
          AuthErrorCode.VALIDATION_FAILED,
          `ScopesGuard does not support "${context.getType()}" contexts`,
        );
      const route = readRouteRequirements(this.reflector, context.getHandler(), context.getClass());
      if (route.isPublic || !hasRequirements(route)) return true;
      const principal = getAuthPrincipal(context);
      if (principal === undefined || principal === null || !Array.isArray(principal.scopes)) {
        throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No authenticated principal to check scopes against');
      }
      assertScopeRequirements(principal, route.scopes);
      assertRoleAndClaimRequirements(principal, route, this.options.rolesClaims);
      return true;
    } catch (error) {
      const authError = AuthError.from(error);
      throw transport ? await transport.toException(authError, context) : authError;
    }
  }
}
