import type { Reflector } from '@nestjs/core';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { assertClaims, assertRoles, type ClaimRequirement, type RoleRequirement } from '../jwt/claim-requirements';
import type { AuthPrincipal } from '../jwt/principal';
import {
  CLAIMS_METADATA,
  OptionalAuth,
  Public,
  ROLES_ALL_METADATA,
  ROLES_ANY_METADATA,
  SCOPES_ALL_METADATA,
  SCOPES_ANY_METADATA,
} from './auth.decorator';
import { hasScopeRequirements, type ScopeRequirements } from './scope-requirements';

/** Everything the decorators of a handler and its class ask for, merged. */
export interface RouteRequirements {
  /** No authentication at all. */
  readonly isPublic: boolean;
  /** Anonymous calls are served when no token is presented. */
  readonly isOptional: boolean;
  /** `@Scopes` / `@AnyScope`. */
  readonly scopes: ScopeRequirements;
  /** `@Roles` / `@AnyRole`. */
  readonly roles: RoleRequirement;
  /** `@RequireClaim`. */
  readonly claims: readonly ClaimRequirement[];
}

interface OwnRequirements {
  readonly scopesAll: readonly string[];
  readonly scopesAny: readonly (readonly string[])[];
  readonly rolesAll: readonly string[];
  readonly rolesAny: readonly (readonly string[])[];
  readonly claims: readonly ClaimRequirement[];
}

const NONE: OwnRequirements = Object.freeze({ scopesAll: [], scopesAny: [], rolesAll: [], rolesAny: [], claims: [] });

function own(target: unknown): OwnRequirements {
  if (typeof target !== 'function' && (typeof target !== 'object' || target === null)) return NONE;
  const read = <T>(key: string): T[] => (Reflect.getMetadata(key, target) as T[] | undefined) ?? [];
  return {
    scopesAll: read<string>(SCOPES_ALL_METADATA),
    scopesAny: read<readonly string[]>(SCOPES_ANY_METADATA),
    rolesAll: read<string>(ROLES_ALL_METADATA),
    rolesAny: read<readonly string[]>(ROLES_ANY_METADATA),
    claims: read<ClaimRequirement>(CLAIMS_METADATA),
  };
}

function isEmpty(r: OwnRequirements): boolean {
  return (
    r.scopesAll.length === 0 &&
    r.scopesAny.length === 0 &&
    r.rolesAll.length === 0 &&
    r.rolesAny.length === 0 &&
    r.claims.length === 0
  );
}

function nameOf(handler: unknown, controller: unknown): string {
  const cls = typeof controller === 'function' ? controller.name : 'anonymous class';
  return typeof handler === 'function' ? `${cls}.${handler.name}` : cls;
}

function isPublicTarget(reflector: Reflector, target: unknown): boolean {
  return typeof target === 'function' && reflector.get(Public, target) === true;
}

/**
 * The `@Public()` / requirement conflict of a handler or its class, as a boot error; `undefined` when there is none.
 * `@Public()` plus a requirement on the same target cannot mean anything safe, so it refuses to boot.
 */
export function findPublicConflict(
  reflector: Reflector,
  handler: unknown,
  controller: unknown,
): JwtAuthConfigError | undefined {
  if (isPublicTarget(reflector, handler) && !isEmpty(own(handler))) {
    return new JwtAuthConfigError(
      `@Public() on ${nameOf(handler, controller)}`,
      'the handler is marked @Public() and also declares @Scopes/@AnyScope/@Roles/@AnyRole/@RequireClaim',
      'remove @Public() to require a token with those grants, or remove the requirements to open the handler',
    );
  }
  if (isPublicTarget(reflector, controller) && !isEmpty(own(controller))) {
    return new JwtAuthConfigError(
      `@Public() on ${nameOf(undefined, controller)}`,
      'the class is marked @Public() and also declares @Scopes/@AnyScope/@Roles/@AnyRole/@RequireClaim',
      'remove @Public() from the class, or move the requirements to the handlers that need them',
    );
  }
  return undefined;
}

/**
 * Read the requirements of a handler and its class. A handler's own `@Public()` opens it; a class-level `@Public()`
 * opens only the handlers that declare no requirement of their own (a handler's own requirement wins).
 * A conflict the boot check would have refused is refused here too (fail closed).
 */
export function readRouteRequirements(reflector: Reflector, handler: unknown, controller: unknown): RouteRequirements {
  const conflict = findPublicConflict(reflector, handler, controller);
  if (conflict) throw new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The handler has conflicting auth metadata');
  const mine = own(handler);
  const theirs = own(controller);
  const isPublic = isPublicTarget(reflector, handler) || (isPublicTarget(reflector, controller) && isEmpty(mine));
  const targets = [handler, controller].filter((t) => typeof t === 'function') as (() => unknown)[];
  return {
    isPublic,
    isOptional: reflector.getAllAndOverride(OptionalAuth, targets) === true,
    scopes: {
      all: [...new Set([...mine.scopesAll, ...theirs.scopesAll])],
      any: [...mine.scopesAny, ...theirs.scopesAny],
    },
    roles: { all: [...new Set([...mine.rolesAll, ...theirs.rolesAll])], any: [...mine.rolesAny, ...theirs.rolesAny] },
    claims: [...mine.claims, ...theirs.claims],
  };
}

/** True when the route asks for any scope, role or claim (which an anonymous call can never meet). */
export function hasRequirements(requirements: RouteRequirements): boolean {
  return (
    hasScopeRequirements(requirements.scopes) ||
    requirements.roles.all.length > 0 ||
    requirements.roles.any.length > 0 ||
    requirements.claims.length > 0
  );
}

/** Throw `insufficient_scope` (403) unless the principal meets the roles and claims of the route (scopes apart). */
export function assertRoleAndClaimRequirements(
  principal: AuthPrincipal,
  requirements: RouteRequirements,
  rolesClaims: readonly (readonly string[])[],
): void {
  if (requirements.roles.all.length > 0 || requirements.roles.any.length > 0) {
    assertRoles(principal.claims, rolesClaims, requirements.roles);
  }
  if (requirements.claims.length > 0) assertClaims(principal.claims, requirements.claims);
}
