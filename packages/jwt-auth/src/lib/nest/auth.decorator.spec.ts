import { Reflector } from '@nestjs/core';
import { createHttpContext } from '../../testing';
import { AnyScope, OptionalAuth, Public, Scopes } from './auth.decorator';
import { readScopeRequirements } from './scope-requirements';

const reflector = new Reflector();

@Scopes('orders:read')
@AnyScope('tenant:a', 'tenant:b')
class OrdersController {
  @Scopes('orders:write')
  @Scopes('orders:audit')
  write(): void {
    // decorated only
  }

  @AnyScope('support', 'admin')
  support(): void {
    // decorated only
  }

  plain(): void {
    // decorated only
  }

  @Public()
  open(): void {
    // decorated only
  }

  @OptionalAuth()
  maybe(): void {
    // decorated only
  }
}

class SpecialOrdersController extends OrdersController {
  @Scopes('special')
  special(): void {
    // decorated only
  }
}
Scopes('orders:special')(SpecialOrdersController);

const requirementsOf = (cls: new () => object, method: string) =>
  readScopeRequirements(
    reflector,
    createHttpContext({}, { handler: (cls.prototype as Record<string, () => void>)[method], class: cls }),
  );

describe('scope decorators', () => {
  it('merge class and method requirements (a method cannot loosen its class)', () => {
    expect(requirementsOf(OrdersController, 'write')).toEqual({
      all: ['orders:audit', 'orders:write', 'orders:read'],
      any: [['tenant:a', 'tenant:b']],
    });
    expect(requirementsOf(OrdersController, 'plain')).toEqual({
      all: ['orders:read'],
      any: [['tenant:a', 'tenant:b']],
    });
  });

  it('keep each @AnyScope as its own group (no widening by merging alternatives)', () => {
    expect(requirementsOf(OrdersController, 'support').any).toEqual([
      ['support', 'admin'],
      ['tenant:a', 'tenant:b'],
    ]);
  });

  it('accumulate repeated decorators on one target instead of replacing them', () => {
    expect(requirementsOf(OrdersController, 'write').all).toEqual(
      expect.arrayContaining(['orders:write', 'orders:audit']),
    );
  });

  it('inherit the parent class requirements in a subclass', () => {
    expect(requirementsOf(SpecialOrdersController, 'special').all).toEqual([
      'special',
      'orders:read',
      'orders:special',
    ]);
    expect(requirementsOf(OrdersController, 'plain').all).toEqual(['orders:read']);
  });

  it('refuse empty or malformed scopes when the decorator is applied', () => {
    expect(() => Scopes()).toThrow(/Invalid option @Scopes\(\)/);
    expect(() => AnyScope('a b')).toThrow(/without spaces/);
    expect(() => Scopes('')).toThrow(/Scopes/);
    expect(() => Scopes('x"y')).toThrow(/Scopes/);
  });
});

describe('Public / OptionalAuth', () => {
  it('store true under their reflectable keys', () => {
    expect(reflector.get(Public, OrdersController.prototype.open)).toBe(true);
    expect(reflector.get(OptionalAuth, OrdersController.prototype.maybe)).toBe(true);
    expect(reflector.get(Public, OrdersController.prototype.plain)).toBeUndefined();
  });
});
