import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { AuthPrincipal } from '../jwt/principal';
import { AccessTokenVerifier } from '../verification/access-token-verifier';
import { OptionalAuth, Public } from './auth.decorator';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import {
  assertScopeRequirements,
  hasScopeRequirements,
  readScopeRequirements,
  type ScopeRequirements,
} from './scope-requirements';
import type { AuthTransport } from './transports/auth-transport.interface';
import { HttpAuthTransport } from './transports/http.transport';
import { RpcAuthTransport } from './transports/rpc.transport';

interface RouteMetadata {
  readonly isPublic: boolean;
  readonly isOptional: boolean;
  readonly requirements: ScopeRequirements;
}

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

  constructor(
    protected readonly reflector: Reflector,
    protected readonly verifier: AccessTokenVerifier,
    protected readonly options: ResolvedJwtAuthOptions,
  ) {
    this.httpTransport = new HttpAuthTransport(options.extractors, options.realm);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    let transport: AuthTransport | undefined;
    try {
      transport = this.getTransport(context);
      if (this.isPublic(context)) return true;
      const requirements = this.getScopeRequirements(context);
      const token = transport.extractToken(context);
      if (token === undefined) {
        if (this.isOptional(context) && !hasScopeRequirements(requirements)) {
          transport.attach(context, undefined, undefined);
          return true;
        }
        throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
      }
      const principal = await this.verifyToken(token);
      this.checkScopes(principal, requirements);
      transport.attach(context, principal, token);
      return true;
    } catch (error) {
      throw await this.failClosed(AuthError.from(error), context, transport);
    }
  }

  /** The adapter for this execution context; any type but `http` and `rpc` is refused (never let through). */
  protected getTransport(context: ExecutionContext): AuthTransport {
    const type = context.getType();
    if (type === 'http') return this.httpTransport;
    if (type === 'rpc') return this.rpcTransport;
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
    return this.routeMetadata(context).requirements;
  }

  // Decorator metadata is fixed once the app has booted; reading it once per (class, handler) keeps four
  // reflection lookups off every request.
  private readonly metadataCache = new WeakMap<object, WeakMap<object, RouteMetadata>>();

  private routeMetadata(context: ExecutionContext): RouteMetadata {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = typeof controller === 'function' ? this.metadataCache.get(controller) : undefined;
    let metadata = typeof handler === 'function' ? byHandler?.get(handler) : undefined;
    if (metadata === undefined) {
      const targets = [handler, controller];
      metadata = {
        isPublic: this.reflector.getAllAndOverride(Public, targets) === true,
        isOptional: this.reflector.getAllAndOverride(OptionalAuth, targets) === true,
        requirements: readScopeRequirements(this.reflector, context),
      };
      if (typeof controller === 'function' && typeof handler === 'function') {
        if (!byHandler) this.metadataCache.set(controller, (byHandler = new WeakMap()));
        byHandler.set(handler, metadata);
      }
    }
    return metadata;
  }

  /** Verify the token; resolves to the principal or rejects with an {@link AuthError}. */
  protected verifyToken(token: string): Promise<AuthPrincipal> {
    return this.verifier.verify(token);
  }

  /** Throw `insufficient_scope` unless the principal meets the requirements. */
  protected checkScopes(principal: AuthPrincipal, requirements: ScopeRequirements): void {
    assertScopeRequirements(principal, requirements);
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
    if (issuer !== undefined) fields += ` iss=${JSON.stringify(issuer)}`;
    if (kid !== undefined) fields += ` kid=${JSON.stringify(kid)}`;
    if (alg !== undefined) fields += ` alg=${JSON.stringify(alg)}`;
    const where = `${context.getClass()?.name}.${context.getHandler()?.name}`;
    this.options.logger[level]?.(`Rejected ${context.getType()} call to ${where}: ${fields}`);
  }
}
