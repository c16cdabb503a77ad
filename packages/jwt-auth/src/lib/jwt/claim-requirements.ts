import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import type { JsonValue } from '../json/strict-json';

/**
 * Where a claim sits in the claims set: a dotted path (`'realm_access.roles'`) or its segments, for claim names that
 * contain dots themselves (`['https://example.com/roles']`, `['resource_access', 'orders-api', 'roles']`).
 */
export type ClaimPath = string | readonly string[];

/** Roles claim paths of common issuers, for the `rolesClaims` module option. */
export const RolesClaims = Object.freeze({
  /** Keycloak realm roles: `realm_access.roles`. */
  keycloakRealm: Object.freeze(['realm_access', 'roles']) as readonly string[],
  /** Keycloak client roles of one client: `resource_access.<clientId>.roles`. */
  keycloakClient: (clientId: string): readonly string[] => Object.freeze(['resource_access', clientId, 'roles']),
  /** Auth0 RBAC permissions: `permissions`. */
  auth0Permissions: Object.freeze(['permissions']) as readonly string[],
  /** Microsoft Entra ID (Azure AD) app roles: `roles`. */
  azure: Object.freeze(['roles']) as readonly string[],
});

/** The default roles claim: a top-level `roles` array (Entra ID, many custom issuers). */
export const DEFAULT_ROLES_CLAIMS: readonly (readonly string[])[] = Object.freeze([RolesClaims.azure]);

/** A test on one claim: equality with a JSON primitive, membership of an array (or a space-separated string), or a function. */
export type ClaimPredicate =
  | { readonly equals: string | number | boolean | null }
  | { readonly includes: string | number | boolean }
  | ((value: JsonValue | undefined, claims: Readonly<Record<string, JsonValue>>) => boolean);

/** One claim requirement of a route: the claim's path and the test its value must pass. */
export interface ClaimRequirement {
  /** The claim's path, as segments. */
  readonly path: readonly string[];
  /** The test. */
  readonly predicate: ClaimPredicate;
  /** How the requirement reads in messages, e.g. `tenant equals "acme"`. */
  readonly description: string;
}

// Path segments must name own data members: these would reach into prototypes on ordinary objects.
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
const MAX_SEGMENTS = 16;

/**
 * Normalise and validate a claim path; throws {@link JwtAuthConfigError} naming `option` for an empty path, an empty
 * segment or a prototype-reaching segment.
 */
export function parseClaimPath(path: unknown, option: string): readonly string[] {
  const segments: unknown = typeof path === 'string' ? path.split('.') : path;
  if (!Array.isArray(segments) || segments.length === 0 || segments.length > MAX_SEGMENTS) {
    throw new JwtAuthConfigError(
      option,
      `a claim path must be a dotted string or 1 to ${MAX_SEGMENTS} segments`,
      "use e.g. 'realm_access.roles' or ['https://example.com/roles']",
    );
  }
  for (const segment of segments) {
    if (typeof segment !== 'string' || segment === '' || FORBIDDEN_SEGMENTS.has(segment)) {
      throw new JwtAuthConfigError(
        option,
        `the claim path ${JSON.stringify(path)} has an empty, non-string or reserved segment`,
        "name each claim member, e.g. 'resource_access.orders-api.roles'",
      );
    }
  }
  return Object.freeze([...(segments as string[])]);
}

/** The value at `path` in `claims`, reading own members of plain objects only; `undefined` when absent. */
export function readClaim(
  claims: Readonly<Record<string, JsonValue>> | undefined,
  path: readonly string[],
): JsonValue | undefined {
  let value: JsonValue | undefined = claims as JsonValue | undefined;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, JsonValue>)[segment];
  }
  return value;
}

/**
 * The roles a token grants: the union of the string members of every configured roles claim (an array of strings,
 * or a space-separated string). A claim of any other shape grants nothing, so a route that needs a role refuses.
 */
export function extractRoles(
  claims: Readonly<Record<string, JsonValue>> | undefined,
  paths: readonly (readonly string[])[],
): readonly string[] {
  const roles: string[] = [];
  for (const path of paths) {
    const value = readClaim(claims, path);
    if (typeof value === 'string') {
      for (const role of value.split(' ')) if (role !== '') roles.push(role);
    } else if (Array.isArray(value)) {
      for (const role of value) if (typeof role === 'string' && role !== '') roles.push(role);
    }
  }
  return roles;
}

/** A role requirement: every role of `all`, and at least one role of each `any` group. */
export interface RoleRequirement {
  readonly all: readonly string[];
  readonly any: readonly (readonly string[])[];
}

/**
 * Throw `insufficient_scope` (403) unless the roles read from `paths` meet the requirement (exact, case-sensitive).
 * @throws AuthError
 */
export function assertRoles(
  claims: Readonly<Record<string, JsonValue>> | undefined,
  paths: readonly (readonly string[])[],
  requirement: RoleRequirement,
): void {
  if (requirement.all.length === 0 && requirement.any.length === 0) return;
  const granted = extractRoles(claims, paths);
  if (!requirement.all.every((role) => granted.includes(role))) {
    throw new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, 'token lacks a required role');
  }
  for (const group of requirement.any) {
    if (!group.some((role) => granted.includes(role))) {
      throw new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, 'token lacks every accepted role');
    }
  }
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value);
}

/**
 * Build a validated {@link ClaimRequirement}; throws {@link JwtAuthConfigError} naming `option` for a bad path or
 * predicate (called when the decorator is applied, so a mistake stops the app from booting).
 */
export function createClaimRequirement(path: ClaimPath, predicate: ClaimPredicate, option: string): ClaimRequirement {
  const segments = parseClaimPath(path, option);
  const name = segments.join('.');
  let description: string;
  if (typeof predicate === 'function') {
    description = `${name} passes ${predicate.name || 'a custom predicate'}`;
  } else if (typeof predicate === 'object' && predicate !== null && Object.keys(predicate).length === 1) {
    if ('equals' in predicate && isPrimitive(predicate.equals)) {
      description = `${name} equals ${JSON.stringify(predicate.equals)}`;
    } else if ('includes' in predicate && isPrimitive(predicate.includes) && predicate.includes !== null) {
      description = `${name} includes ${JSON.stringify(predicate.includes)}`;
    } else {
      throw new JwtAuthConfigError(
        option,
        'equals / includes must be a string, a finite number, a boolean (or null for equals)',
        "compare with a JSON primitive, e.g. { equals: 'acme' }, or pass a function",
      );
    }
  } else {
    throw new JwtAuthConfigError(
      option,
      'the predicate must be { equals: value }, { includes: value } or a function',
      "e.g. @RequireClaim('tenant', { equals: 'acme' })",
    );
  }
  return Object.freeze({ path: segments, predicate, description });
}

/** True when the claims meet the requirement; a throwing custom predicate counts as a failure. */
export function meetsClaimRequirement(
  claims: Readonly<Record<string, JsonValue>>,
  requirement: ClaimRequirement,
): boolean {
  const value = readClaim(claims, requirement.path);
  const { predicate } = requirement;
  if (typeof predicate === 'function') {
    try {
      return predicate(value, claims) === true;
    } catch {
      return false;
    }
  }
  if ('equals' in predicate) return value !== undefined && value === predicate.equals;
  if (Array.isArray(value)) return value.includes(predicate.includes);
  return typeof value === 'string' && typeof predicate.includes === 'string'
    ? value.split(' ').includes(predicate.includes)
    : false;
}

/**
 * Throw `insufficient_scope` (403) unless the claims meet every requirement.
 * @throws AuthError
 */
export function assertClaims(
  claims: Readonly<Record<string, JsonValue>> | undefined,
  requirements: readonly ClaimRequirement[],
): void {
  for (const requirement of requirements) {
    if (claims === undefined || claims === null || !meetsClaimRequirement(claims, requirement)) {
      throw new AuthError(AuthErrorCode.INSUFFICIENT_SCOPE, 'token does not meet a claim requirement');
    }
  }
}
