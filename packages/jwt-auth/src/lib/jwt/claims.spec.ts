import { AuthErrorCode } from '../errors/auth.errors';
import { parseStrictJson, type JsonObject } from '../json/strict-json';
import { validateClaims, validateTimeClaims, type ClaimPolicy } from './claims';

const NOW = 1_800_000_000;
const policy: ClaimPolicy = {
  issuer: 'https://issuer.test',
  audiences: new Set(['orders-api', 'billing']),
  audienceList: ['orders-api', 'billing'],
  clockTolerance: 60,
  requiredClaims: [],
  requiredStrings: ['sub'],
  requireIssuedAt: false,
};
const rfc9068: ClaimPolicy = { ...policy, requiredStrings: ['sub', 'client_id', 'jti'], requireIssuedAt: true };
const base = { iss: 'https://issuer.test', aud: 'orders-api', exp: NOW + 300, iat: NOW - 10, sub: 'u1' };

function claims(overrides: Record<string, unknown>, raw?: string): JsonObject {
  if (raw !== undefined) return parseStrictJson(raw) as JsonObject;
  const merged: Record<string, unknown> = { ...base, ...overrides };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  return parseStrictJson(JSON.stringify(merged)) as JsonObject;
}

function code(c: JsonObject, p: ClaimPolicy = policy, now = NOW): string | undefined {
  try {
    validateClaims(c, p, now);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('validateClaims', () => {
  it('accepts a valid claims set and returns aud as a list', () => {
    expect(validateClaims(claims({ aud: ['x', 'billing'] }), policy, NOW)).toEqual({
      audience: ['x', 'billing'],
      exp: NOW + 300,
    });
  });

  it.each<[unknown, string]>([
    ['https://issuer.test/', 'trailing slash'],
    ['HTTPS://ISSUER.TEST', 'case'],
    ['https://issuer.tes', 'prefix'],
    ['https://issuer.test.evil', 'suffix'],
    [['https://issuer.test'], 'array'],
    [undefined, 'missing'],
  ])('compares iss exactly: %j (%s)', (iss) => {
    expect(code(claims({ iss }))).toBe(AuthErrorCode.ISSUER_INVALID);
  });

  it.each<[unknown, string]>([
    ['orders-api/', 'trailing slash'],
    ['Orders-Api', 'case'],
    ['orders', 'prefix'],
    [[], 'empty array'],
    [['orders-api', 1], 'array with a non-string'],
    [['orders-api', null], 'array with null'],
    [{ 0: 'orders-api' }, 'object'],
    [undefined, 'missing'],
    [7, 'number'],
  ])('requires aud to name an audience exactly: %j (%s)', (aud) => {
    expect(code(claims({ aud }))).toBe(AuthErrorCode.AUDIENCE_INVALID);
  });

  it('matches audiences exactly whether a few or many are configured', () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'orders-api'];
    const manyPolicy: ClaimPolicy = { ...policy, audiences: new Set(many), audienceList: many };
    for (const p of [policy, manyPolicy]) {
      expect(validateClaims(claims({ aud: ['x', 'orders-api'] }), p, NOW).audience).toEqual(['x', 'orders-api']);
      expect(() => validateClaims(claims({ aud: ['x', 'orders-api/'] }), p, NOW)).toThrow(
        expect.objectContaining({ code: AuthErrorCode.AUDIENCE_INVALID }),
      );
      expect(() => validateClaims(claims({ aud: 'Orders-api' }), p, NOW)).toThrow(
        expect.objectContaining({ code: AuthErrorCode.AUDIENCE_INVALID }),
      );
    }
  });

  it('requires exp', () => {
    expect(code(claims({ exp: undefined }))).toBe(AuthErrorCode.CLAIM_INVALID);
  });

  it.each([
    ['exp', '"1800000300"'],
    ['exp', 'null'],
    ['exp', '1e400'],
    ['exp', '-1'],
    ['exp', '253402300800'],
    ['exp', '9007199254740993'],
    ['exp', 'true'],
    ['nbf', '"0"'],
    ['nbf', '1e400'],
    ['iat', '-5'],
    ['iat', 'null'],
    ['iat', '[1]'],
  ])('refuses %s = %s (finite NumericDate in range only)', (name, value) => {
    const raw = JSON.stringify({ ...base, [name]: 0 }).replace(`"${name}":0`, `"${name}":${value}`);
    expect(code(claims({}, raw))).toBe(AuthErrorCode.CLAIM_INVALID);
  });

  it('treats exp within the clock tolerance as valid and beyond it as expired', () => {
    expect(code(claims({ exp: NOW - 59 }))).toBeUndefined();
    expect(code(claims({ exp: NOW - 60 }))).toBe(AuthErrorCode.TOKEN_EXPIRED);
    expect(code(claims({ exp: NOW }), { ...policy, clockTolerance: 0 })).toBe(AuthErrorCode.TOKEN_EXPIRED);
  });

  it('refuses nbf beyond the tolerance', () => {
    expect(code(claims({ nbf: NOW + 60 }))).toBeUndefined();
    expect(code(claims({ nbf: NOW + 61 }))).toBe(AuthErrorCode.TOKEN_NOT_YET_VALID);
  });

  it('refuses iat in the future beyond the tolerance', () => {
    expect(code(claims({ iat: NOW + 60 }))).toBeUndefined();
    expect(code(claims({ iat: NOW + 61 }))).toBe(AuthErrorCode.TOKEN_AGE_INVALID);
    expect(code(claims({ iat: NOW + 86400 * 365 }))).toBe(AuthErrorCode.TOKEN_AGE_INVALID);
  });

  it('enforces a maximum token age and then requires iat', () => {
    const aged = { ...policy, maxTokenAge: 600 };
    expect(code(claims({ iat: NOW - 600 }), aged)).toBeUndefined();
    expect(code(claims({ iat: NOW - 661 }), aged)).toBe(AuthErrorCode.TOKEN_AGE_INVALID);
    expect(code(claims({ iat: undefined }), aged)).toBe(AuthErrorCode.CLAIM_INVALID);
  });

  it('enforces required claims', () => {
    const strict = { ...policy, requiredClaims: ['jti', 'client_id'] };
    expect(code(claims({ jti: 'j', client_id: 'c' }), strict)).toBeUndefined();
    expect(code(claims({ jti: 'j' }), strict)).toBe(AuthErrorCode.CLAIM_INVALID);
    expect(code(claims({ jti: 'j', client_id: null }), strict)).toBe(AuthErrorCode.CLAIM_INVALID);
  });

  it.each(['sub', 'client_id', 'jti'])('refuses a non-string %s', (name) => {
    expect(code(claims({ [name]: 42 }))).toBe(AuthErrorCode.CLAIM_INVALID);
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
  ])('requires sub by default (RFC 9068 section 2.2): %s', (_what, sub) => {
    expect(code(claims({ sub }))).toBe(AuthErrorCode.CLAIM_INVALID);
    expect(code(claims({ sub }), { ...policy, requiredStrings: [] })).toBeUndefined();
  });

  it('the RFC 9068 profile requires sub, client_id, iat and jti', () => {
    const full = { sub: 'u1', client_id: 'c1', jti: 'j1', iat: NOW - 10 };
    expect(code(claims(full), rfc9068)).toBeUndefined();
    for (const name of ['sub', 'client_id', 'jti', 'iat']) {
      expect({ name, code: code(claims({ ...full, [name]: undefined }), rfc9068) }).toEqual({
        name,
        code: AuthErrorCode.CLAIM_INVALID,
      });
    }
    expect(code(claims({ ...full, client_id: '' }), rfc9068)).toBe(AuthErrorCode.CLAIM_INVALID);
    expect(code(claims({ ...full, jti: 7 }), rfc9068)).toBe(AuthErrorCode.CLAIM_INVALID);
  });
});

// What a verified-token cache hit re-checks on every request (decision 006): the rules that time can change.
describe('validateTimeClaims', () => {
  const timeCode = (c: JsonObject, p: ClaimPolicy = policy, now = NOW): string | undefined => {
    try {
      validateTimeClaims(c, p, now);
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return undefined;
  };

  it('returns exp for a token that is still valid', () => {
    expect(validateTimeClaims(claims({}), policy, NOW)).toBe(NOW + 300);
  });

  it.each<[string, Record<string, unknown>, ClaimPolicy, number]>([
    ['expired, past the tolerance', {}, policy, NOW + 300 + 60],
    ['not valid yet', { nbf: NOW + 61 }, policy, NOW],
    ['issued in the future', { iat: NOW + 61 }, policy, NOW],
    ['too old', { iat: NOW - 1000 }, { ...policy, maxTokenAge: 600 }, NOW],
    ['no exp', { exp: undefined }, policy, NOW],
    ['no iat under the RFC 9068 profile', { iat: undefined }, rfc9068, NOW],
    ['a string exp', { exp: String(NOW + 300) }, policy, NOW],
  ])('refuses a token %s with the code validateClaims gives', (_name, overrides, p, now) => {
    const c = claims({ ...overrides, client_id: 'c', jti: 'j' });
    const expected = code(c, p, now);
    expect(expected).toBeDefined();
    expect(timeCode(c, p, now)).toBe(expected);
  });
});
