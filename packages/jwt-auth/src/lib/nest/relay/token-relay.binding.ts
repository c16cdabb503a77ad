import { Injectable, Optional } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { bindToHandlers, isMessageHandler, type Handler } from '../auth-metadata.inspector';
import { expressLayers, type ExpressAppLike } from '../express-layers';
import { runInHttpRequest } from './token-relay.context';
import { TokenRelayInterceptor } from './token-relay.interceptor';

// @nestjs/graphql's RESOLVER_TYPE_METADATA (set by @Query, @Mutation, @Subscription, @ResolveField), spelled out so
// that optional peer stays optional.
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const AUTO_INTERCEPTOR_METADATA = 'nest-sso:jwt-auth:auto-relay-interceptor';

/** The part of a Fastify instance used here. */
interface FastifyLike {
  addHook(name: 'preHandler', hook: (request: object, reply: unknown, done: () => void) => void): unknown;
}

/**
 * The HTTP half of `TokenRelayModule`'s default mode: every HTTP route handler runs in the relay context of its
 * request, whose current token is the one `JwtAuthGuard` accepts for it. No interceptor is involved, so routes do not
 * go through Nest's interceptor pipeline, which costs more than the rest of a small request (decision 025).
 * - Express: each route layer's handler is wrapped, after the body parsers and Nest's middleware.
 * - Fastify: a `preHandler` hook, which calls the route handler synchronously once the body is parsed.
 */
@Injectable()
export class TokenRelayHttpContext {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  /** Hook into the HTTP adapter, after Nest registered the routes; a no-op without one. */
  install(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) return;
    const type = adapter.getType?.();
    if (type === 'express') installExpress(adapter.getInstance());
    else if (type === 'fastify') installFastify(adapter.getInstance());
  }
}

function installExpress(app: ExpressAppLike): void {
  for (const layer of expressLayers(app)) {
    const original = layer.handle;
    if (layer.route === undefined || typeof original !== 'function') continue;
    layer.handle = (request, response, next) => runInHttpRequest(request as object, original, request, response, next);
  }
}

function installFastify(fastify: FastifyLike): void {
  fastify.addHook('preHandler', (request, _reply, done) => runInHttpRequest(request, done));
}

/**
 * The other half: binds the module's `TokenRelayInterceptor` to every `@MessagePattern` / `@EventPattern` handler,
 * gateway `@SubscribeMessage` handler and GraphQL resolver that has none, the way `JwtAuthModule` binds its guard.
 * Runs while the app's instances are created, before microservices, gateways and resolvers read their interceptors.
 */
@Injectable()
export class RelayInterceptorBinder {
  constructor(modules: ModulesContainer, interceptor: TokenRelayInterceptor) {
    bindToHandlers(modules, {
      metadataKey: INTERCEPTORS_METADATA,
      boundKey: AUTO_INTERCEPTOR_METADATA,
      enhancer: interceptor,
      kind: TokenRelayInterceptor,
      selects: (handler, ofGateway) => isMessageHandler(handler, ofGateway) || isResolver(handler),
    });
  }
}

function isResolver(handler: Handler): boolean {
  return Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) !== undefined;
}
