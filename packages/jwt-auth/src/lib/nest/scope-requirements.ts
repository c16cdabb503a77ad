import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { AuthPrincipal } from '../jwt/principal';
import { assertScopes } from '../jwt/scopes';
import { SCOPES_ALL_METADATA, SCOPES_ANY_METADATA } from './auth.decorator';

/** The scopes a handler needs, merged from its controller and itself. */
export interface ScopeRequirements {
  /** Every one of these. */
  readonly all: readonly string[];
  /** At least one of each group. */
  readonly any: readonly (readonly string[])[];
}

/** Read `@Scopes` / `@AnyScope` from the handler and its class, both enforced (merged, never overridden). */
export function readScopeRequirements(reflector: Reflector, context: ExecutionContext): ScopeRequirements {
  const targets = [context.getHandler(), context.getClass()];
  return {
    all: [...new Set(reflector.getAllAndMerge<string[]>(SCOPES_ALL_METADATA, targets))],
    any: reflector.getAllAndMerge<string[][]>(SCOPES_ANY_METADATA, targets),
  };
}

/** True when the requirements name any scope. */
export function hasScopeRequirements(requirements: ScopeRequirements): boolean {
  return requirements.all.length > 0 || requirements.any.length > 0;
}

/** Throw `insufficient_scope` (403) unless the principal meets every requirement. */
export function assertScopeRequirements(principal: AuthPrincipal, requirements: ScopeRequirements): void {
  if (requirements.all.length > 0) assertScopes(principal, { all: requirements.all });
  for (const group of requirements.any) assertScopes(principal, { any: group });
}
