import { AuthError, JwtAuthConfigError } from '../errors/auth.errors';
import {
  RolesClaims,
  assertClaims,
  assertRoles,
  createClaimRequirement,
  extractRoles,
  parseClaimPath,
  readClaim,
} from './claim-requirements';

const keycloak = {
  realm_access: { roles: ['user', 'admin'] },
  resource_access: { 'orders-api': { roles: ['orders-reader'] }, other: { roles: ['other-admin'] } },
  permissions: ['read:orders'],
  roles: 'ops auditors',
  'https://example.com/roles': ['billing'],
  tenant: 'acme',
  level: 3,
};

const code = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof AuthError ? error.code : (error as Error).name;
  }
};

describe('claim paths', () => {
  it('parses dotted paths and segment lists', () => {
    expect(parseClaimPath('realm_access.roles', 'x')).toEqual(['realm_access', 'roles']);
    expect(parseClaimPath(['https://example.com/roles'], 'x')).toEqual(['https://example.com/roles']);
  });

  it.each([[''], ['a..b'], [[]], [['a', '']], ['__proto__.x'], ['a.constructor'], [42], [null]])(
    'refuses %p naming the option',
    (path) => {
      expect(() => parseClaimPath(path, 'rolesClaims[0]')).toThrow(JwtAuthConfigError);
      expect(() => parseClaimPath(path, 'rolesClaims[0]')).toThrow(/rolesClaims\[0\]/);
    },
  );

  it('reads own members only, never through arrays or prototypes', () => {
    expect(readClaim(keycloak, ['resource_access', 'orders-api', 'roles'])).toEqual(['orders-reader']);
    expect(readClaim(keycloak, ['realm_access', 'roles', '0'])).toBeUndefined();
    expect(readClaim(keycloak, ['tenant', 'length'])).toBeUndefined();
    expect(readClaim({}, ['toString'])).toBeUndefined();
  });
});

describe('roles', () => {
  it('joins the configured claims of Keycloak, Auth0 and Entra ID', () => {
    expect(extractRoles(keycloak, [RolesClaims.keycloakRealm])).toEqual(['user', 'admin']);
    expect(extractRoles(keycloak, [RolesClaims.keycloakClient('orders-api')])).toEqual(['orders-reader']);
    expect(extractRoles(keycloak, [RolesClaims.auth0Permissions, RolesClaims.azure])).toEqual([
      'read:orders',
      'ops',
      'auditors',
    ]);
    expect(extractRoles({ roles: [1, 'a', null, ''] }, [['roles']])).toEqual(['a']);
    expect(extractRoles({ roles: { admin: true } }, [['roles']])).toEqual([]);
  });

  it('enforces all-of and any-of with insufficient_scope', () => {
    const paths = [RolesClaims.keycloakRealm];
    expect(code(() => assertRoles(keycloak, paths, { all: ['admin', 'user'], any: [] }))).toBeUndefined();
    expect(code(() => assertRoles(keycloak, paths, { all: ['admin', 'root'], any: [] }))).toBe('insufficient_scope');
    expect(code(() => assertRoles(keycloak, paths, { all: [], any: [['root', 'user']] }))).toBeUndefined();
    expect(code(() => assertRoles(keycloak, paths, { all: [], any: [['root', 'Admin']] }))).toBe('insufficient_scope');
    // A client role is not a realm role.
    expect(code(() => assertRoles(keycloak, paths, { all: ['orders-reader'], any: [] }))).toBe('insufficient_scope');
  });
});

describe('claim predicates', () => {
  const check = (path: string | string[], predicate: Parameters<typeof createClaimRequirement>[1]) =>
    code(() => assertClaims(keycloak, [createClaimRequirement(path, predicate, 'test')]));

  it('equals compares exactly, with no type coercion', () => {
    expect(check('tenant', { equals: 'acme' })).toBeUndefined();
    expect(check('tenant', { equals: 'ACME' })).toBe('insufficient_scope');
    expect(check('level', { equals: 3 })).toBeUndefined();
    expect(check('level', { equals: '3' })).toBe('insufficient_scope');
    expect(check('missing', { equals: null })).toBe('insufficient_scope');
  });

  it('includes looks into arrays and space-separated strings', () => {
    expect(check(['https://example.com/roles'], { includes: 'billing' })).toBeUndefined();
    expect(check('roles', { includes: 'ops' })).toBeUndefined();
    expect(check('roles', { includes: 'op' })).toBe('insufficient_scope');
    expect(check('tenant', { includes: 'acm' })).toBe('insufficient_scope');
  });

  it('a custom function decides; a throwing one refuses', () => {
    expect(check('level', (value) => typeof value === 'number' && value >= 3)).toBeUndefined();
    expect(check('level', (value) => value === 4)).toBe('insufficient_scope');
    expect(
      check('level', () => {
        throw new Error('bug');
      }),
    ).toBe('insufficient_scope');
    expect(check('level', (() => 'yes') as never)).toBe('insufficient_scope');
  });

  it('refuses bad predicates when the requirement is built', () => {
    expect(() => createClaimRequirement('tenant', {} as never, '@RequireClaim')).toThrow(JwtAuthConfigError);
    expect(() => createClaimRequirement('tenant', { equals: { a: 1 } } as never, '@RequireClaim')).toThrow(
      /equals \/ includes/,
    );
    expect(() => createClaimRequirement('tenant', { equals: 1, includes: 2 } as never, '@RequireClaim')).toThrow();
    expect(() => createClaimRequirement('tenant', { includes: null } as never, '@RequireClaim')).toThrow();
  });
});
