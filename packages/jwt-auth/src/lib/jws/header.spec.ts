import { AuthErrorCode } from '../errors/auth.errors';
import { checkProtectedHeader } from './header';
import { parseStrictJson, type JsonObject } from '../json/strict-json';

const allowed = new Set(['RS256', 'ES256']);
const h = (json: string): JsonObject => parseStrictJson(json) as JsonObject;

function code(json: string, allow: ReadonlySet<string> = allowed): string | undefined {
  try {
    checkProtectedHeader(h(json), allow);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('checkProtectedHeader', () => {
  it('accepts an allowed alg with kid and typ', () => {
    const checked = checkProtectedHeader(h('{"alg":"ES256","kid":"k1","typ":"at+jwt"}'), allowed);
    expect(checked).toEqual({ alg: expect.objectContaining({ name: 'ES256' }), kid: 'k1', typ: 'at+jwt' });
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s even when configured', (alg) => {
    expect(code(`{"alg":"${alg}"}`, new Set([alg, 'RS256']))).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
  });

  it.each(['rs256', 'RS256 ', 'HS256', 'PS256', 'ES384'])('compares alg exactly against the allow-list: %j', (alg) => {
    expect(code(`{"alg":"${alg}"}`)).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
  });

  it.each(['{}', '{"alg":null}', '{"alg":["RS256"]}', '{"alg":1}'])(
    'refuses a missing or non-string alg: %s',
    (json) => {
      expect(code(json)).toBe(AuthErrorCode.TOKEN_MALFORMED);
    },
  );

  it.each([
    ['{"alg":"RS256","crit":["exp"]}', 'crit'],
    ['{"alg":"RS256","crit":[]}', 'empty crit'],
    ['{"alg":"RS256","b64":false,"crit":["b64"]}', 'b64 false'],
    ['{"alg":"RS256","b64":true}', 'b64 true'],
    ['{"alg":"RS256","cty":"JWT"}', 'nested JWT'],
    ['{"alg":"RS256","cty":"jwt"}', 'nested jwt (case-insensitive)'],
    ['{"alg":"RS256","cty":"application/JWT"}', 'nested application/jwt'],
    ['{"alg":"RS256","zip":"DEF"}', 'zip'],
  ])('refuses %s (%s) as unsupported', (json) => {
    expect(code(json)).toBe(AuthErrorCode.TOKEN_UNSUPPORTED);
  });

  it.each([
    ['{"alg":"RS256","kid":1}', 'number'],
    ['{"alg":"RS256","kid":{"a":1}}', 'object'],
    ['{"alg":"RS256","kid":""}', 'empty'],
    [`{"alg":"RS256","kid":"${'a'.repeat(257)}"}`, 'too long'],
    ['{"alg":"RS256","typ":7}', 'non-string typ'],
  ])('refuses a kid/typ that is a %s', (json) => {
    expect(code(json)).toBe(AuthErrorCode.TOKEN_MALFORMED);
  });

  it('ignores jku, x5u and the thumbprints: they never select a key without a trust store', () => {
    const checked = checkProtectedHeader(
      h('{"alg":"RS256","jku":"http://127.0.0.1:1/jwks","x5u":"http://127.0.0.1:1/c","x5t":"AA","x5t#S256":"AA"}'),
      allowed,
    );
    expect(checked.x509).toBeUndefined();
    expect(checked.alg.name).toBe('RS256');
  });

  it.each([
    ['x5c', '{"alg":"RS256","x5c":["AA=="]}'],
    ['jwk', '{"alg":"RS256","jwk":{"kty":"oct","k":"AA"}}'],
  ])('refuses %s when the issuer has no trust store', (_name, json) => {
    expect(code(json)).toBe(AuthErrorCode.TOKEN_UNSUPPORTED);
  });

  it('hands x5c, x5t, x5t#S256 and jwk to a trust store, never jku or x5u', () => {
    const checked = checkProtectedHeader(
      h('{"alg":"RS256","jku":"http://127.0.0.1:1/jwks","x5u":"u","x5c":["AA=="],"x5t":"a","x5t#S256":"b","jwk":{}}'),
      allowed,
      true,
    );
    expect(checked.x509).toEqual({ x5c: ['AA=='], x5t: 'a', x5tS256: 'b', jwk: {} });
    expect(checkProtectedHeader(h('{"alg":"RS256","kid":"k"}'), allowed, true).x509).toBeUndefined();
  });
});
