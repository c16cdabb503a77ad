import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { parseStrictJson, type JsonObject } from '../json/strict-json';
import { assertScopes, extractScopes, hasAllScopes, hasAnyScope, ScopeReader } from './scopes';

const c = (value: object): JsonObject => parseStrictJson(JSON.stringify(value)) as JsonObject;

describe('scopes', () => {
  it('splits scope on U+0020 only', () => {
    expect(extractScopes(c({ scope: 'a b  c' }), 'scope')).toEqual(['a', 'b', 'c']);
    expect(extractScopes(c({ scope: 'a\tb' }), 'scope')).toEqual(['a\tb']);
    expect(extractScopes(c({ scope: 'a\u00a0b' }), 'scope')).toEqual(['a\u00a0b']);
    expect(extractScopes(c({ scope: 'a\nb' }), 'scope')).toEqual(['a\nb']);
  });

  it('hands out frozen scope lists, equal for equal scope strings, long ones included', () => {
    const long = Array.from({ length: 300 }, (_, i) => `s${i}`).join(' ');
    for (const value of ['a b', ' a  b ', long]) {
      const first = extractScopes({ scope: value }, 'scope');
      const again = extractScopes({ scope: value }, 'scope');
      expect(Object.isFrozen(first)).toBe(true);
      expect(again).toEqual(first);
      expect(first).toEqual(value.split(' ').filter((scope) => scope.length > 0));
    }
  });

  it('a ScopeReader splits like extractScopes, and hands its owner the same frozen list for the same string', () => {
    const reader = new ScopeReader();
    const other = new ScopeReader();
    const long = Array.from({ length: 300 }, (_, i) => `s${i}`).join(' ');
    for (const value of ['a b', ' a  b ', 'a\tb c', long]) {
      const first = reader.extract({ scope: value }, 'scope');
      expect(first).toEqual(extractScopes({ scope: value }, 'scope'));
      expect(Object.isFrozen(first)).toBe(true);
      expect(reader.extract({ scope: 'x' }, 'scope')).toEqual(['x']);
      // Strings over 1024 characters are split afresh each time, so they cannot grow the cache.
      if (value === long) expect(reader.extract({ scope: value }, 'scope')).toEqual(first);
      else expect(reader.extract({ scope: value }, 'scope')).toBe(first);
      expect(other.extract({ scope: value }, 'scope')).not.toBe(first);
    }
    expect(reader.extract(c({ scp: ['a', ''] }), 'scp')).toEqual(['a']);
    expect(() => reader.extract(c({ scope: 1 }), 'scope')).toThrow(
      expect.objectContaining({ code: AuthErrorCode.CLAIM_INVALID }),
    );
  });

  it('reads scp as a string or an array, only when configured', () => {
    expect(extractScopes(c({ scp: ['a', 'b'] }), 'scp')).toEqual(['a', 'b']);
    expect(extractScopes(c({ scp: 'a b' }), 'scp')).toEqual(['a', 'b']);
    expect(extractScopes(c({ scp: ['a'] }), 'scope')).toEqual([]);
    expect(extractScopes(c({ scope: 'a' }), 'scp')).toEqual([]);
  });

  it('reads the union of scope and scp with "both", each claim with its own rules', () => {
    expect(extractScopes(c({ scope: 'a b' }), 'both')).toEqual(['a', 'b']);
    expect(extractScopes(c({ scp: ['c'] }), 'both')).toEqual(['c']);
    expect(extractScopes(c({ scope: 'a b', scp: ['b', 'c'] }), 'both')).toEqual(['a', 'b', 'c']);
    expect(extractScopes(c({}), 'both')).toEqual([]);
    expect(() => extractScopes(c({ scope: ['a'], scp: ['b'] }), 'both')).toThrow(
      expect.objectContaining({ code: AuthErrorCode.CLAIM_INVALID }),
    );
  });

  it.each([{ scope: ['a'] }, { scope: 1 }, { scp: [1] }, { scp: { a: 1 } }])(
    'refuses a wrongly typed claim %j',
    (claims) => {
      const claim = 'scope' in claims ? 'scope' : 'scp';
      expect(() => extractScopes(c(claims), claim)).toThrow(
        expect.objectContaining({ code: AuthErrorCode.CLAIM_INVALID }),
      );
    },
  );

  it('matches exactly: no prefix, case or whitespace games', () => {
    expect(hasAllScopes(['orders:read'], ['orders:read'])).toBe(true);
    expect(hasAllScopes(['orders:read'], ['orders'])).toBe(false);
    expect(hasAllScopes(['orders'], ['orders:read'])).toBe(false);
    expect(hasAllScopes(['Orders:Read'], ['orders:read'])).toBe(false);
    expect(hasAllScopes(['orders:read\u00a0'], ['orders:read'])).toBe(false);
    expect(hasAllScopes(['a'], ['a', 'b'])).toBe(false);
    expect(hasAnyScope(['b'], ['a', 'b'])).toBe(true);
    expect(hasAnyScope(['c'], ['a', 'b'])).toBe(false);
  });

  it('throws insufficient_scope (403) with the required scopes', () => {
    expect(() => assertScopes({ scopes: ['a', 'b'] }, { all: ['a'], any: ['b', 'c'] })).not.toThrow();
    let error: AuthError | undefined;
    try {
      assertScopes({ scopes: ['a'] }, { all: ['a', 'b'] });
    } catch (e) {
      error = e as AuthError;
    }
    expect(error).toBeInstanceOf(AuthError);
    expect(error?.status).toBe(403);
    expect(error?.bearerError).toBe('insufficient_scope');
    expect(error?.details.requiredScopes).toEqual(['a', 'b']);
    expect(() => assertScopes({ scopes: ['a'] }, { any: ['b', 'c'] })).toThrow(
      expect.objectContaining({ code: 'insufficient_scope' }),
    );
  });
});
