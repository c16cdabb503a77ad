import { Reflector } from '@nestjs/core';
import { JwtAuthConfigError } from '../errors/auth.errors';
import { createClaimRequirement, type ClaimPath, type ClaimPredicate } from '../jwt/claim-requirements';

/**
 * Skip authentication for a handler or a whole controller (also under a global `JwtAuthGuard`).
 * A handler-level `@Public()` opens that handler even when its controller declares scopes; a handler of a
 * `@Public()` controller that declares its own `@Scopes` / `@AnyScope` / `@Roles` / `@AnyRole` / `@RequireClaim`
 * is not public (its own requirement wins). `@Public()` together with a requirement on the same handler or class
 * refuses to boot.
 */
export const Public = Reflector.createDecorator<void, true>({ key: 'nest-sso:jwt-auth:public', transform: () => true });

/**
 * Authenticate when a token is presented, serve anonymously when none is: the principal is then `undefined`.
 * A presented but invalid token is still refused (401); declared scopes still require a token.
 */
export const OptionalAuth = Reflector.createDecorator<void, true>({
  key: 'nest-sso:jwt-auth:optional',
  transform: () => true,
});

/** Metadata key of the all-of scope list (accumulated over every `@Scopes` on one target). */
export const SCOPES_ALL_METADATA = 'nest-sso:jwt-auth:scopes:all';
/** Metadata key of the any-of scope groups (one group per `@AnyScope`). */
export const SCOPES_ANY_METADATA = 'nest-sso:jwt-auth:scopes:any';

// RFC 6749 section 3.3 scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

function validateScopes(decorator: string, scopes: readonly unknown[]): readonly string[] {
  if (scopes.length === 0) {
    throw new JwtAuthConfigError(
      `@${decorator}()`,
      'no scope was given',
      `name at least one scope, e.g. @${decorator}('orders:read')`,
    );
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new JwtAuthConfigError(
        `@${decorator}(${JSON.stringify(scope)})`,
        'a scope must be a non-empty string without spaces, quotes or backslashes',
        'pass each scope as its own argument',
      );
    }
  }
  return Object.freeze([...(scopes as string[])]);
}

// Appends rather than sets (SetMetadata would let a second decorator on the same target silently replace the first).
function appendMetadata(key: string, entries: readonly unknown[]): ClassDecorator & MethodDecorator {
  return (target: object, _propertyKey?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: object = descriptor ? (descriptor.value as object) : target;
    const existing = (Reflect.getMetadata(key, holder) as unknown[] | undefined) ?? [];
    Reflect.defineMetadata(key, [...existing, ...entries], holder);
  };
}

/**
 * Require every listed scope. On a controller and on a handler both apply: a handler cannot loosen its controller.
 * @example @Scopes('orders:read', 'orders:write')
 */
export function Scopes(...scopes: string[]): ClassDecorator & MethodDecorator {
  return appendMetadata(SCOPES_ALL_METADATA, validateScopes('Scopes', scopes));
}

/**
 * Require at least one of the listed scopes. Each `@AnyScope` is its own requirement: one on the controller and one
 * on the handler must both be met.
 * @example @AnyScope('orders:admin', 'orders:support')
 */
export function AnyScope(...scopes: string[]): ClassDecorator & MethodDecorator {
  return appendMetadata(SCOPES_ANY_METADATA, [validateScopes('AnyScope', scopes)]);
}

/** Metadata key of the all-of role list (accumulated over every `@Roles` on one target). */
export const ROLES_ALL_METADATA = 'nest-sso:jwt-auth:roles:all';
/** Metadata key of the any-of role groups (one group per `@AnyRole`). */
export const ROLES_ANY_METADATA = 'nest-sso:jwt-auth:roles:any';
/** Metadata key of the claim requirements (one per `@RequireClaim`). */
export const CLAIMS_METADATA = 'nest-sso:jwt-auth:claims';

// Printable, no control characters: role names come from code, and appear in nothing but comparisons.
const ROLE_NAME = /^[^\p{Cc}]+$/u;

function validateRoles(decorator: string, roles: readonly unknown[]): readonly string[] {
  if (roles.length === 0) {
    throw new JwtAuthConfigError(
      `@${decorator}()`,
      'no role was given',
      `name at least one role, e.g. @${decorator}('admin')`,
    );
  }
  for (const role of roles) {
    if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
      throw new JwtAuthConfigError(
        `@${decorator}(${JSON.stringify(role)})`,
        'a role must be a non-empty string without control characters',
        'pass each role as its own string argument',
      );
    }
  }
  return Object.freeze([...(roles as string[])]);
}

/**
 * Require every listed role, read from the configured roles claims (`rolesClaims` option, default `roles`).
 * Enforced like `@Scopes`: controller and handler both apply; a miss is 403 `insufficient_scope`.
 * @example @Roles('admin')
 */
export function Roles(...roles: string[]): ClassDecorator & MethodDecorator {
  return appendMetadata(ROLES_ALL_METADATA, validateRoles('Roles', roles));
}

/**
 * Require at least one of the listed roles; each `@AnyRole` is its own requirement.
 * @example @AnyRole('admin', 'support')
 */
export function AnyRole(...roles: string[]): ClassDecorator & MethodDecorator {
  return appendMetadata(ROLES_ANY_METADATA, [validateRoles('AnyRole', roles)]);
}

/**
 * Require a claim to pass a test: `{ equals: value }`, `{ includes: value }` (array member, or word of a
 * space-separated string) or a function of the value and all claims. Path and predicate are checked when the
 * decorator is applied; every `@RequireClaim` of the controller and the handler must pass, else 403 `insufficient_scope`.
 * @example @RequireClaim('tenant', { equals: 'acme' })
 * @example @RequireClaim(['https://example.com/groups'], { includes: 'billing' })
 * @example @RequireClaim('acr', (acr) => acr === 'urn:mfa')
 */
export function RequireClaim(path: ClaimPath, predicate: ClaimPredicate): ClassDecorator & MethodDecorator {
  return appendMetadata(CLAIMS_METADATA, [
    createClaimRequirement(path, predicate, `@RequireClaim(${JSON.stringify(path)})`),
  ]);
}
