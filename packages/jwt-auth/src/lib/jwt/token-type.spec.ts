import { AuthErrorCode } from '../errors/auth.errors';
import { checkTokenType } from './token-type';

const code = (typ: string | undefined, mode: 'strict' | 'access-token-or-jwt'): string | undefined => {
  try {
    checkTokenType(typ, mode);
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('checkTokenType', () => {
  it.each([undefined, 'JWT', 'jwt', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT', 'application/jwt'])(
    'default mode accepts %j',
    (typ) => expect(code(typ, 'access-token-or-jwt')).toBeUndefined(),
  );

  it.each(['id_token+jwt', 'dpop+jwt', 'secevent+jwt', 'logout+jwt', 'application/dpop+jwt', 'JOSE', 'vc+jwt', ''])(
    'both modes refuse the explicit non-access type %j',
    (typ) => {
      expect(code(typ, 'access-token-or-jwt')).toBe(AuthErrorCode.TYPE_INVALID);
      expect(code(typ, 'strict')).toBe(AuthErrorCode.TYPE_INVALID);
    },
  );

  it('strict mode accepts only at+jwt', () => {
    expect(code('at+jwt', 'strict')).toBeUndefined();
    expect(code('application/at+JWT', 'strict')).toBeUndefined();
    expect(code('JWT', 'strict')).toBe(AuthErrorCode.TYPE_INVALID);
    expect(code(undefined, 'strict')).toBe(AuthErrorCode.TYPE_INVALID);
  });
});
