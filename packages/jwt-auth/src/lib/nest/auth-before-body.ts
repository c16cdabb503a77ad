import { BadRequestException, Inject, Injectable, Optional } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { HttpAdapterHost, ModulesContainer, Reflector } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { oneToken } from '../bearer/bearer-credentials';
import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import type { AuthPrincipal } from '../jwt/principal';
import { logSafe } from '../errors/log-safe';
import { AccessTokenVerifier, type VerificationOutcome } from '../verification/access-token-verifier';
import { formatWwwAuthenticate } from '../bearer/www-authenticate';
import { toHttpException } from './auth-error.mapper';
import { bearerErrorBody } from './bearer-auth.exception';
import { expressLayers, type ExpressAppLike, type ExpressLayer } from './express-layers';
import { ResolvedJwtAuthOptions } from './jwt-auth-options.resolver';
import { JWT_AUTH_GLOBAL_GUARD } from './jwt-auth.constants';
import { hasRequirements, readRouteRequirements } from './route-requirements';
import {
  expectsContinue,
  hasRequestBody,
  holdBodyParser,
  logAbortedBody,
  loggedPath,
  type Middleware,
} from './request-body-gate';
import { readHttpTokens } from './transports/http.transport';
import type { AuthHttpRequest } from './auth-context';

// body-parser's middleware names (Nest's own parsers and app.useBodyParser() are these).
const EXPRESS_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'rawParser', 'textParser']);
// @nestjs/platform-fastify's FASTIFY_ROUTE_CONFIG_METADATA: what @RouteConfig() sets; the adapter hands it to Fastify
// as the route's `config`, where an onRequest hook can read it before the body is parsed.
const FASTIFY_ROUTE_CONFIG = '__fastify_route_config__';
const ROUTE_CONFIG_KEY = 'nestSsoJwtAuth';

/** What the early check needs to know of a route, fixed at boot from its decorators. */
interface EarlyRoute {
  /** Not `@Public()`: the guard authenticates it. */
  readonly guarded: boolean;
  /** A request without a token may still pass (`@OptionalAuth()` without scopes). */
  readonly anonymousAllowed: boolean;
}

/**
 * Authenticate guarded HTTP routes before their body is read: installed by `JwtAuthModule` when `globalGuard` is on
 * and `authenticateBeforeBody` is not turned off (decision 014).
 * - Express: body-parser middlewares are held back per request and run by `JwtAuthGuard` once it lets the request
 *   through, so a refused request is never parsed.
 * - Fastify: an `onRequest` hook refuses a request with a body to a guarded route unless it presents a valid token.
 * - Both: `Expect: 100-continue` is answered only when the body is about to be read; a refusal closes the connection.
 */
@Injectable()
export class AuthBeforeBody {
  // The principal the Fastify hook accepted for a request without a body rides on the request until the guard takes
  // it, under a symbol of this instance's own: a WeakMap keyed by requests would cost each one about a microsecond of
  // ephemeron bookkeeping, since every key dies young (decision 023).
  private readonly earlyKey: symbol = Symbol('@nest-sso/jwt-auth early principal');
  // The answer to a shared (frozen) refusal, formatted once: the header readers' refusals, an unknown issuer, an
  // unknown kid of an accepted header (decision 023). Weak: the verifier drops its shared errors when it clears the
  // headers it accepted.
  private readonly answers = new WeakMap<AuthError, RefusalAnswer>();

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly options: ResolvedJwtAuthOptions,
    private readonly reflector: Reflector,
    private readonly modules: ModulesContainer,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(JWT_AUTH_GLOBAL_GUARD) private readonly globalGuard?: boolean,
  ) {}

  /** Hook into the HTTP adapter; a no-op without `globalGuard`, without an HTTP adapter, or when turned off. */
  install(): void {
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter || this.globalGuard !== true || !this.options.authenticateBeforeBody) return;
    const type = adapter.getType?.();
    if (type === 'express') this.installExpress(adapter.getInstance());
    else if (type === 'fastify') this.installFastify(adapter.getInstance());
    else return;
    holdContinue(adapter.getHttpServer() as Server | undefined);
  }

  private installExpress(app: ExpressAppLike): void {
    const stack = expressLayers(app);
    for (const layer of stack) {
      const original = layer.handle;
      if (typeof original !== 'function' || !EXPRESS_PARSERS.has(original.name)) continue;
      // Only a body bound for a Nest route waits for JwtAuthGuard; anything else mounted on the app (GraphQL's
      // middleware, a 404) gets its body parsed as before, since no HTTP guard would ever release it.
      const deferred: Middleware = (request, response, next) =>
        reachesNestRoute(stack, request as IncomingMessage) && holdBodyParser(request, original)
          ? next()
          : original(request, response, next);
      // Keep the name: Nest's isMiddlewareApplied() looks parsers up by it.
      Object.defineProperty(deferred, 'name', { value: original.name });
      layer.handle = deferred;
    }
  }

  // Callback-style hooks: they run on every request, public routes included, and an async hook would cost each one a
  // promise. Neither may throw (Fastify would answer 500): every failure of the check becomes a refusal.
  private installFastify(fastify: FastifyLike): void {
    this.tagRoutes();
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions?.config?.[ROUTE_CONFIG_KEY] as EarlyRoute | undefined;
      if (route?.guarded !== true) return proceed(request, reply, done);
      const withBody = hasRequestBody(request.raw);
      let refusal: Refusal | Promise<Refusal>;
      try {
        refusal = withBody ? this.refusalBeforeBody(request, route) : this.earlyRefusal(request);
      } catch (error) {
        refusal = AuthError.from(error);
      }
      if (!(refusal instanceof Promise)) return this.settle(request, reply, done, refusal, withBody);
      refusal.then(
        (settled) => this.settle(request, reply, done, settled, withBody),
        (error: unknown) => this.settle(request, reply, done, AuthError.from(error), withBody),
      );
    });
    // A client that drops its connection mid-body makes Fastify hand Nest a bare Error('aborted'), which Nest logs with
    // a stack as an internal error. The body goes through a pass-through that turns the abort into a 400 of its own
    // (an HttpException, which Nest answers without logging) and one warning line.
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      if (!hasRequestBody(request.raw)) return done(null, payload);
      let received = 0;
      const body = new PassThrough();
      payload.on('data', (chunk: Buffer) => (received += chunk.length));
      payload.once('error', () => {
        logAbortedBody(this.options.logger, request.raw, received);
        body.destroy(new BadRequestException('The request body was aborted'));
      });
      done(null, payload.pipe(body));
    });
  }

  /**
   * The token this hook read from a request it accepted, while the request's `Authorization` header is still the value
   * the hook read it from (and no extractor is configured): `JwtAuthGuard` then takes it instead of parsing the header
   * again. `undefined` otherwise (the guard reads the request itself).
   */
  earlyToken(request: unknown): string | undefined {
    if (typeof request !== 'object' || request === null) return undefined;
    const early = (request as Record<symbol, EarlyPrincipal | undefined>)[this.earlyKey];
    return early?.tokenFor(authorizationHeader(request));
  }

  /**
   * The principal this hook accepted for a request without a body, handed over once to `JwtAuthGuard` for the same
   * token; `undefined` otherwise (the guard then verifies itself).
   */
  takeEarlyPrincipal(request: unknown, token: string): AuthPrincipal | undefined {
    if (typeof request !== 'object' || request === null) return undefined;
    const holder = request as Record<symbol, EarlyPrincipal | undefined>;
    const early = holder[this.earlyKey];
    if (early === undefined) return undefined;
    holder[this.earlyKey] = undefined;
    return early.principalFor(token);
  }

  // A request with a body: everything that authentication can refuse, a missing token included, is refused here, since
  // the body must not be read first. The guard checks again (and scopes, roles, claims) once the body has arrived.
  private refusalBeforeBody(request: FastifyRequestLike, route: EarlyRoute): Refusal | Promise<Refusal> {
    const token = this.presentedToken(request);
    if (token instanceof AuthError) return token;
    if (token === undefined)
      return route.anonymousAllowed
        ? undefined
        : new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
    const outcome = this.verifier.verifyOutcome(token);
    return outcome instanceof Promise ? outcome.then(refusalIn) : refusalIn(outcome);
  }

  // A request without a body: a presented token is verified here, and a refusal answered at once, outside Nest's
  // exception path (which costs more than the rest of a refusal, decision 023); an accepted principal goes to the guard,
  // which then does not verify again. A missing token is left to the guard (middleware that sets the header from a
  // cookie may run after this hook), and so is a token that extractors cannot read yet (a cookie plugin's hook too).
  private earlyRefusal(request: FastifyRequestLike): Refusal | Promise<Refusal> {
    const token = this.presentedToken(request);
    // Without extractors the headers alone decide, as they will for the guard; an extractor may not be able to read its
    // source yet.
    if (token instanceof AuthError) return this.options.extractors.length === 0 ? token : undefined;
    if (token === undefined) return undefined;
    const outcome = this.verifier.verifyOutcome(token);
    return outcome instanceof Promise
      ? outcome.then((settled) => this.accept(request, token, settled))
      : this.accept(request, token, outcome);
  }

  // The one token the request presents, or why its headers are refused, as a value: a throw would cost this hook, which
  // refuses often, several microseconds (decision 023). An extractor that throws is refused too.
  private presentedToken(request: FastifyRequestLike): string | undefined | AuthError {
    let tokens: string[] | AuthError;
    try {
      tokens = readHttpTokens(request, this.options.extractors);
    } catch (error) {
      return AuthError.from(error);
    }
    return tokens instanceof AuthError ? tokens : oneToken(tokens);
  }

  private accept(request: FastifyRequestLike, token: string, outcome: VerificationOutcome): Refusal {
    if (outcome instanceof AuthError) return outcome;
    // With an extractor configured the token may not come from the header: the guard then reads the request again.
    const header = this.options.extractors.length === 0 ? authorizationHeader(request) : undefined;
    (request as unknown as Record<symbol, EarlyPrincipal>)[this.earlyKey] = new EarlyPrincipal(token, outcome, header);
    return undefined;
  }

  private settle(
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
    done: HookDone,
    refusal: Refusal,
    withBody: boolean,
  ): void {
    if (refusal === undefined) return proceed(request, reply, done);
    this.logRefusal(request, refusal, withBody);
    try {
      const answer = this.answerTo(refusal);
      reply
        .code(refusal.status)
        .header('WWW-Authenticate', answer.challenge)
        .header('Content-Type', 'application/json; charset=utf-8');
      // A body stays unread: closing the connection spares reading (or waiting for) it.
      if (withBody) reply.header('Connection', 'close');
      reply.send(answer.body);
    } catch {
      // Answering here failed: Nest's exception path answers the same refusal, as it would the guard's (never a 500;
      // after a key fetch the throw would otherwise be an unhandled rejection).
      done(toHttpException(refusal, this.options.realm));
    }
  }

  // The same status, challenge and body as the guard's refusal through BearerAuthExceptionFilter.
  private answerTo(refusal: AuthError): RefusalAnswer {
    const shared = Object.isFrozen(refusal);
    const known = shared ? this.answers.get(refusal) : undefined;
    if (known !== undefined) return known;
    const answer: RefusalAnswer = {
      challenge: formatWwwAuthenticate(refusal, this.options.realm),
      body: JSON.stringify(bearerErrorBody(refusal)),
    };
    if (shared) this.answers.set(refusal, answer);
    return answer;
  }

  private logRefusal(request: FastifyRequestLike, error: AuthError, withBody: boolean): void {
    const level = this.options.rejectionLogLevel;
    if (level === 'off') return;
    const { code, details } = error;
    try {
      this.options.logger[level]?.(
        `Rejected http call to ${request.raw.method} ${loggedPath(request.raw.url)}` +
          `${withBody ? ' before reading its body' : ''}: code=${code} iss=${logSafe(details.issuer)} ` +
          `kid=${logSafe(details.kid)} alg=${logSafe(details.alg)}`,
      );
    } catch {
      // A throwing logger must not turn a refusal into a 500.
    }
  }

  // Every controller method gets its early-check verdict in its Fastify route config, before Nest registers routes
  // (it copies a method's metadata onto the route handler, and the Fastify adapter passes this key on as `config`).
  private tagRoutes(): void {
    for (const moduleRef of this.modules.values()) {
      for (const wrapper of moduleRef.controllers.values()) {
        const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
        if (typeof controller !== 'function') continue;
        for (const handler of routeHandlers(controller)) {
          let route: EarlyRoute;
          try {
            // The guard's own reading of the decorators, so both decide alike (a handler's own requirement beats a
            // class-level @Public()).
            const requirements = readRouteRequirements(this.reflector, handler, controller);
            route = {
              guarded: !requirements.isPublic,
              anonymousAllowed: requirements.isOptional && !hasRequirements(requirements),
            };
          } catch {
            // Conflicting metadata: the guard refuses every call, so the early check refuses too.
            route = { guarded: true, anonymousAllowed: false };
          }
          const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG, handler) ?? {}) as Record<string, unknown>;
          const previous = config[ROUTE_CONFIG_KEY] as EarlyRoute | undefined;
          // A method inherited by controllers with different class decorators: leave it to the guard alone.
          const merged =
            previous && (previous.guarded !== route.guarded || previous.anonymousAllowed !== route.anonymousAllowed)
              ? { guarded: false, anonymousAllowed: true }
              : route;
          Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG, { ...config, [ROUTE_CONFIG_KEY]: merged }, handler);
        }
      }
    }
  }
}

/** The parts of a Fastify request the early check uses. */
interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  readonly routeOptions?: { readonly config?: Record<string, unknown> };
}

/** The parts of a Fastify instance the early check uses. */
interface FastifyLike {
  addHook(
    name: 'preParsing',
    hook: (
      request: FastifyRequestLike,
      reply: unknown,
      payload: Readable,
      done: (error: Error | null, payload: Readable) => void,
    ) => void,
  ): unknown;
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: HookDone) => void,
  ): unknown;
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}

// True when a route layer (what Nest registers for a controller method) matches the request's method and path.
function reachesNestRoute(stack: readonly ExpressLayer[], request: IncomingMessage): boolean {
  const path = (request.url ?? '/').split('?', 1)[0];
  const method = (request.method ?? 'GET').toLowerCase();
  for (const layer of stack) {
    const methods = layer.route?.methods;
    if (!methods || typeof layer.match !== 'function') continue;
    if ((methods[method] === true || methods['_all'] === true) && layer.match(path)) return true;
  }
  return false;
}

type RouteHandler = (...args: never[]) => unknown;

// The request's Authorization header when it is a single value (Node's `headers` keeps the first of repeated ones).
function authorizationHeader(request: object): string | undefined {
  const header = (request as AuthHttpRequest).headers?.['authorization'];
  return typeof header === 'string' ? header : undefined;
}

/** A principal the hook accepted, for the guard; the token stays in a private field (util.inspect does not show it). */
class EarlyPrincipal {
  readonly #token: string;
  readonly #principal: AuthPrincipal;
  readonly #header: string | undefined;

  /** `header`: the `Authorization` value the token was read from, when the header alone presented it. */
  constructor(token: string, principal: AuthPrincipal, header: string | undefined) {
    this.#token = token;
    this.#principal = principal;
    this.#header = header;
  }

  /** The token, when the request's `Authorization` header is still the value it was read from. */
  tokenFor(header: unknown): string | undefined {
    return this.#header !== undefined && header === this.#header ? this.#token : undefined;
  }

  /** The principal, when the guard reads the same token the hook verified. */
  principalFor(token: string): AuthPrincipal | undefined {
    return token === this.#token ? this.#principal : undefined;
  }
}

/** A refusal's `WWW-Authenticate` challenge and JSON body. */
interface RefusalAnswer {
  readonly challenge: string;
  readonly body: string;
}

/** What the early check decided: `undefined` lets the request go on to Nest, an error is answered at once. */
type Refusal = AuthError | undefined;

type HookDone = (error?: Error | null) => void;

const refusalIn = (outcome: VerificationOutcome): Refusal => (outcome instanceof AuthError ? outcome : undefined);

function proceed(request: FastifyRequestLike, reply: FastifyReplyLike, done: HookDone): void {
  if (expectsContinue(request.raw)) reply.raw.writeContinue();
  done();
}

function routeHandlers(controller: new (...args: never[]) => unknown): RouteHandler[] {
  const handlers = new Set<RouteHandler>();
  for (let proto = controller.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (typeof value === 'function' && Reflect.hasMetadata(PATH_METADATA, value)) handlers.add(value);
    }
  }
  return [...handlers];
}

// Node answers `Expect: 100-continue` itself, before any handler runs, unless the server has a checkContinue listener.
// With this one the request is handled as usual and 100 is sent only when the body is about to be read.
function holdContinue(server: Server | undefined): void {
  if (!server || typeof server.on !== 'function' || server.listenerCount('checkContinue') > 0) return;
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) =>
    server.emit('request', request, response),
  );
}
