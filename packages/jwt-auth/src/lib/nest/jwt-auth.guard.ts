import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { logSafe } from '../errors/log-safe';
import type { AuthPrincipal } from '../jwt/principal';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { AuthBeforeBody } from './auth-before-body';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { isRequestBodyPending, releaseRequestBody } from './request-body-gate';
import {
  assertRoleAndClaimRequirements,
  hasRequirements,
  readRouteRequirements,
  type RouteRequirements,
} from './route-requirements';
import { assertScopeRequirements, type ScopeRequirements } from './scope-requirements';
import type { AuthTransport } from './transports/auth-transport.interface';
import { GraphqlAuthTransport } from './transports/graphql.transport';
import { HttpAuthTransport } from './transports/http.transport';
import { RpcAuthTransport } from './transports/rpc.transport';
import { WsAuthTransport } from './transports/ws.transport';

/**
 * Authenticates HTTP requests and microservice messages with a bearer access token: honours `@Public()` and
 * `@OptionalAuth()`, verifies the token, enforces `@Scopes` / `@AnyScope` of the controller and the handler, and
 * attaches the principal for `@CurrentUser()`. Fails closed: every failure, expected or not, becomes 400/401/403.
 * Extend it by overriding the `protected` hooks.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly httpTransport: AuthTransport;
  private readonly rpcTransport: AuthTransport = new RpcAuthTransport();
  private readonly wsTransport: AuthTransport;
  private readonly graphqlTransport: AuthTransport;
  // Argument lists of RPC calls this guard has let through: when it runs twice on one message (as APP_GUARD and as
  // the handler guard JwtAuthModule binds to message handlers, see MessageHandlerGuardBinder) the second run is free.
  private readonly passedRpcCalls = new WeakSet<object>();

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: AccessTokenVerifier,
    protected readonly options: ResolvedJwtAuthOptions,
    // JwtAuthModule's own guard receives it; a subclass that declares its own constructor verifies every token itself.
    @Optional() private readonly authBeforeBody?: AuthBeforeBody,
  ) {
    this.httpTransport = new HttpAuthTransport(options.extractors, options.realm);
    this.wsTransport = new WsAuthTransport(options.logger);
    this.graphqlTransport = new GraphqlAuthTransport(options.extractors);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = await this.authenticate(context);
    // Only now may an Express body held back by authenticateBeforeBody be read (decision 014). Its failures are
    // 4xx answers of their own, outside the fail-closed mapping of authenticate().
    if (allowed && context.getType() === 'http') {
      const http = context.switchToHttp();
      const request: unknown = http.getRequest();
      if (isRequestBodyPending(request)) await releaseRequestBody(request, http.getResponse(), this.options.logger);
    }
    return allowed;
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    let transport: AuthTransport | undefined;
    try {
      transport = this.getTransport(context);
      if (this.isPublic(context)) return true;
      if (transport === this.rpcTransport && this.passedRpcCalls.has(context.getArgs())) return true;
      const route = this.routeMetadata(context);
      const token = this.extractToken(transport, context);
      if (token === undefined) {
        if (this.isOptional(context) && !hasRequirements(route)) {
          transport.attach(context, undefined, undefined);
          return true;
        }
        throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
      }
      const principal = await this.verifyToken(token, context);
      this.checkScopes(principal, this.getScopeRequirements(context));
      this.checkRequirements(principal, route);
      transport.attach(context, principal, token);
      if (transport === this.rpcTransport) this.passedRpcCalls.add(context.getArgs());
      return true;
    } catch (error) {
      throw await this.failClosed(AuthError.from(error), context, transport);
    }
  }

  /**
   * The adapter for this execution context: `http`, `rpc`, `ws` (WebSocket gateways) or `graphql` (resolvers);
   * any other type is refused (never let through).
   */
  protected getTransport(context: ExecutionContext): AuthTransport {
    const type = context.getType<string>();
    if (type === 'http') return this.httpTransport;
    if (type === 'rpc') return this.rpcTransport;
    if (type === 'ws') return this.wsTransport;
    if (type === 'graphql') return this.graphqlTransport;
    throw new AuthError(AuthErrorCode.VALIDATION_FAILED, `JwtAuthGuard does not support "${String(type)}" contexts`);
  }

  /** True when the handler or its controller is `@Public()`. */
  protected isPublic(context: ExecutionContext): boolean {
    return this.routeMetadata(context).isPublic;
  }

  /** True when the handler or its controller is `@OptionalAuth()`. */
  protected isOptional(context: ExecutionContext): boolean {
    return this.routeMetadata(context).isOptional;
  }

  /** The scopes required by the controller and the handler together. */
  protected getScopeRequirements(context: ExecutionContext): ScopeRequirements {
    return this.routeMetadata(context).scopes;
  }

  // Decorator metadata is fixed once the app has booted; reading it once per (class, handler) keeps the
  // reflection lookups off every request.
  private readonly metadataCache = new WeakMap<object, WeakMap<object, RouteRequirements>>();

  private routeMetadata(context: ExecutionContext): RouteRequirements {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = typeof controller === 'function' ? this.metadataCache.get(controller) : undefined;
    let metadata = typeof handler === 'function' ? byHandler?.get(handler) : undefined;
    if (metadata === undefined) {
      metadata = readRouteRequirements(this.reflector, handler, controller);
      if (typeof controller === 'function' && typeof handler === 'function') {
        if (!byHandler) this.metadataCache.set(controller, (byHandler = new WeakMap()));
        byHandler.set(handler, metadata);
      }
    }
    return metadata;
  }

  // On Fastify the module's onRequest check has read the token of a request without a body already: it is taken while
  // the Authorization header is the value that check read (decision 023), instead of parsing the header again.
  private extractToken(transport: AuthTransport, context: ExecutionContext): string | undefined {
    if (transport === this.httpTransport && this.authBeforeBody !== undefined) {
      const token = this.authBeforeBody.earlyToken(context.switchToHttp().getRequest());
      if (token !== undefined) return token;
    }
    return transport.extractToken(context);
  }

  /**
   * Verify the token; resolves to the principal or rejects with an {@link AuthError}. On Fastify, a request without a
   * body arrives with its token verified already by the module's `onRequest` check (decision 023): that principal is
   * taken instead of verifying twice. An override that does not call this one verifies every token itself.
   */
  protected verifyToken(token: string, context?: ExecutionContext): Promise<AuthPrincipal> {
    if (context !== undefined && this.authBeforeBody !== undefined && context.getType() === 'http') {
      const early = this.authBeforeBody.takeEarlyPrincipal(context.switchToHttp().getRequest(), token);
      if (early !== undefined) return Promise.resolve(early);
    }
    return this.verifier.verify(token);
  }

  /** Throw `insufficient_scope` unless the principal meets the requirements. */
  protected checkScopes(principal: AuthPrincipal, requirements: ScopeRequirements): void {
    assertScopeRequirements(principal, requirements);
  }

  /** Throw `insufficient_scope` unless the principal meets the route's `@Roles` / `@AnyRole` / `@RequireClaim`. */
  protected checkRequirements(principal: AuthPrincipal, route: RouteRequirements): void {
    assertRoleAndClaimRequirements(principal, route, this.options.rolesClaims);
  }

  /** Log the failure (never the token) and turn it into the transport's exception; the result is thrown. */
  protected async handleFailure(
    error: AuthError,
    context: ExecutionContext,
    transport: AuthTransport | undefined,
  ): Promise<unknown> {
    this.logFailure(error, context);
    return transport ? transport.toException(error, context) : error;
  }

  private async failClosed(
    error: AuthError,
    context: ExecutionContext,
    transport: AuthTransport | undefined,
  ): Promise<unknown> {
    try {
      const exception = await this.handleFailure(error, context, transport);
      if (exception !== undefined && exception !== null) return exception;
    } catch {
      // A throwing hook or logger must not turn a refusal into a 500: fall back to the plain mapping below.
    }
    try {
      return transport ? await transport.toException(error, context) : error;
    } catch {
      return error;
    }
  }

  /**
   * Log a rejection at `rejectionLogLevel` (off by default) with its code and whichever of `iss`, `kid` and `alg` the
   * token had; never the token.
   */
  protected logFailure(error: AuthError, context: ExecutionContext): void {
    const level = this.options.rejectionLogLevel;
    if (level === 'off') return;
    const { issuer, kid, alg } = error.details;
    let fields = `code=${error.code}`;
    if (issuer !== undefined) fields += ` iss=${logSafe(issuer)}`;
    if (kid !== undefined) fields += ` kid=${logSafe(kid)}`;
    if (alg !== undefined) fields += ` alg=${logSafe(alg)}`;
    const where = `${context.getClass()?.name}.${context.getHandler()?.name}`;
    this.options.logger[level]?.(`Rejected ${context.getType()} call to ${where}: ${fields}`);
  }
}
