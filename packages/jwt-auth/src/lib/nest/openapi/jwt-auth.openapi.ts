import type { INestApplicationContext } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse, type DocumentBuilder } from '@nestjs/swagger';
import { Public, SCOPES_ALL_METADATA, SCOPES_ANY_METADATA } from '../auth.decorator';
import { JwtAuthGuard } from '../jwt-auth.guard';

/** Name of the security scheme {@link addJwtBearerScheme} declares and the operations refer to. */
export const JWT_BEARER_SCHEME = 'bearer';

/** Options of {@link documentJwtAuth}. */
export interface JwtAuthOpenApiOptions {
  /** Security scheme name; must match the one declared with {@link addJwtBearerScheme}. @default 'bearer' */
  readonly schemeName?: string;
  /**
   * Whether routes without `@UseGuards(JwtAuthGuard)` or scopes are protected. @default true when a `JwtAuthModule`
   * registered its guard globally (`globalGuard: true`), else false
   */
  readonly protectedByDefault?: boolean;
}

/** Declare the HTTP bearer (JWT) security scheme on a `DocumentBuilder`. */
export function addJwtBearerScheme(builder: DocumentBuilder, schemeName = JWT_BEARER_SCHEME): DocumentBuilder {
  return builder.addBearerAuth(
    { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An OAuth 2.0 access token (RFC 6750)' },
    schemeName,
  );
}

// Applied handlers are remembered, so a second document built from the same app does not repeat the requirements.
// Swagger reads decorator metadata, which lives on the controller classes: the first application to document a
// controller decides its requirements.
const documented = new WeakSet<object>();

function isJwtGuard(guard: unknown): boolean {
  return (
    guard === JwtAuthGuard ||
    (typeof guard === 'function' && guard.prototype instanceof JwtAuthGuard) ||
    guard instanceof JwtAuthGuard
  );
}

function hasGlobalJwtGuard(modules: ModulesContainer): boolean {
  for (const module of modules.values()) {
    for (const [token, wrapper] of module.providers) {
      if (typeof token !== 'string' || !token.startsWith('APP_GUARD')) continue;
      // `useClass` shows in the metatype; `useExisting` (how JwtAuthModule registers it) in the created instance.
      if (isJwtGuard(wrapper.metatype) || isJwtGuard(wrapper.instance)) return true;
    }
  }
  return false;
}

// OpenAPI: the members of one requirement object are all needed, the objects of `security` are alternatives. So
// `@Scopes(a)` with `@AnyScope(x, y)` becomes [{ bearer: [a, x] }, { bearer: [a, y] }].
function requirements(all: readonly string[], any: readonly (readonly string[])[]): string[][] {
  let alternatives: string[][] = [[...new Set(all)]];
  for (const group of any) {
    alternatives = alternatives.flatMap((scopes) => group.map((scope) => [...new Set([...scopes, scope])]));
  }
  return alternatives;
}

/**
 * Add the JWT bearer requirement with each route's `@Scopes` / `@AnyScope` (as
 * `security: [{ bearer: [scopes] }]`) and 401 / 403 responses to every protected route of `app`, for
 * `@nestjs/swagger`. Call it before `SwaggerModule.createDocument`; `@Public()` routes are left open.
 * @example
 * documentJwtAuth(app);
 * const document = SwaggerModule.createDocument(app, addJwtBearerScheme(new DocumentBuilder()).build());
 */
export function documentJwtAuth(app: INestApplicationContext, options: JwtAuthOpenApiOptions = {}): void {
  const modules = app.get(ModulesContainer);
  const schemeName = options.schemeName ?? JWT_BEARER_SCHEME;
  const protectedByDefault = options.protectedByDefault ?? hasGlobalJwtGuard(modules);
  const scanner = new MetadataScanner();
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => object) | undefined;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined || documented.has(handler)) continue;
        documented.add(handler);
        const targets = [handler, controller];
        if (targets.some((target) => Reflect.getMetadata(Public.KEY, target) === true)) continue;
        // Controller scopes first, then the handler's: the order a reader expects.
        const all = [controller, handler].flatMap(
          (target) => (Reflect.getMetadata(SCOPES_ALL_METADATA, target) as string[]) ?? [],
        );
        const any = [controller, handler].flatMap(
          (target) => (Reflect.getMetadata(SCOPES_ANY_METADATA, target) as string[][] | undefined) ?? [],
        );
        const guarded = targets.some((target) =>
          ((Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? []).some(isJwtGuard),
        );
        if (!protectedByDefault && !guarded && all.length === 0 && any.length === 0) continue;
        const descriptor = Object.getOwnPropertyDescriptor(prototype, name) as PropertyDescriptor;
        for (const scopes of requirements(all, any)) ApiSecurity(schemeName, scopes)(prototype, name, descriptor);
        ApiUnauthorizedResponse({
          description: 'Missing, invalid or expired access token (`WWW-Authenticate: Bearer error="invalid_token"`)',
        })(prototype, name, descriptor);
        if (all.length > 0 || any.length > 0) {
          ApiForbiddenResponse({
            description:
              'The access token lacks a required scope (`WWW-Authenticate: Bearer error="insufficient_scope"`)',
          })(prototype, name, descriptor);
        }
      }
    }
  }
}
