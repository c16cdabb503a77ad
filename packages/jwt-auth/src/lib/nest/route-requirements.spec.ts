import { Reflector } from '@nestjs/core';
import { JwtAuthConfigError } from '../errors/auth.errors';
import { AnyRole, OptionalAuth, Public, RequireClaim, Roles, Scopes } from './auth.decorator';
import { findPublicConflict, hasRequirements, readRouteRequirements } from './route-requirements';

const reflector = new Reflector();

@Public()
class OpenController {
  anyone(): void {
    // decorated only
  }

  @Scopes('reports:read')
  scoped(): void {
    // decorated only
  }

  @RequireClaim('tenant', { equals: 'acme' })
  claimed(): void {
    // decorated only
  }
}

@Scopes('orders:read')
@AnyRole('admin', 'support')
class OrdersController {
  @Public()
  health(): void {
    // decorated only
  }

  @Roles('auditor')
  @OptionalAuth()
  audit(): void {
    // decorated only
  }
}

class Confused {
  @Public()
  @Roles('admin')
  both(): void {
    // decorated only
  }
}

describe('readRouteRequirements', () => {
  it('a class-level @Public() opens only handlers without requirements of their own', () => {
    expect(readRouteRequirements(reflector, OpenController.prototype.anyone, OpenController).isPublic).toBe(true);
    const scoped = readRouteRequirements(reflector, OpenController.prototype.scoped, OpenController);
    expect(scoped.isPublic).toBe(false);
    expect(scoped.scopes).toEqual({ all: ['reports:read'], any: [] });
    const claimed = readRouteRequirements(reflector, OpenController.prototype.claimed, OpenController);
    expect(claimed.isPublic).toBe(false);
    expect(claimed.claims.map((c) => c.description)).toEqual(['tenant equals "acme"']);
  });

  it('a handler-level @Public() opens the handler under class requirements', () => {
    expect(readRouteRequirements(reflector, OrdersController.prototype.health, OrdersController).isPublic).toBe(true);
  });

  it('merges class and handler requirements, scopes, roles and claims alike', () => {
    const audit = readRouteRequirements(reflector, OrdersController.prototype.audit, OrdersController);
    expect(audit).toMatchObject({
      isPublic: false,
      isOptional: true,
      scopes: { all: ['orders:read'], any: [] },
      roles: { all: ['auditor'], any: [['admin', 'support']] },
    });
    expect(hasRequirements(audit)).toBe(true);
  });

  it('refuses @Public() plus a requirement on one handler, at boot (named) and at run time (fail closed)', () => {
    const conflict = findPublicConflict(reflector, Confused.prototype.both, Confused);
    expect(conflict).toBeInstanceOf(JwtAuthConfigError);
    expect(conflict?.message).toContain('Confused.both');
    expect(() => readRouteRequirements(reflector, Confused.prototype.both, Confused)).toThrow(
      expect.objectContaining({ code: 'validation_failed' }),
    );
    expect(findPublicConflict(reflector, OpenController.prototype.scoped, OpenController)).toBeUndefined();
  });
});
