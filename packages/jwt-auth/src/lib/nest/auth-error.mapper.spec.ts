import { AuthError } from '../errors/auth.errors';
import { formatWwwAuthenticate } from '../bearer/www-authenticate';
import { applyChallenge, toHttpException, toRpcErrorPayload } from './auth-error.mapper';
import { BearerAuthException } from './bearer-auth.exception';

describe('formatWwwAuthenticate', () => {
  it('omits the error attribute when no token was presented (RFC 6750 section 3.1)', () => {
    expect(formatWwwAuthenticate(new AuthError('token_missing', 'no token'), 'api')).toBe('Bearer realm="api"');
    expect(formatWwwAuthenticate(new AuthError('token_missing', 'no token'))).toBe('Bearer');
  });

  it('carries invalid_token with a description', () => {
    expect(formatWwwAuthenticate(new AuthError('token_expired', 'token has expired'), 'api')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token has expired"',
    );
  });

  it('carries invalid_request for multiple tokens', () => {
    expect(formatWwwAuthenticate(new AuthError('multiple_tokens', 'two'))).toBe(
      'Bearer error="invalid_request", error_description="two"',
    );
  });

  it('lists the required scopes for insufficient_scope', () => {
    const error = new AuthError('insufficient_scope', 'missing', { requiredScopes: ['a:read', 'b:write'] });
    expect(formatWwwAuthenticate(error)).toBe(
      'Bearer error="insufficient_scope", error_description="missing", scope="a:read b:write"',
    );
  });

  it('keeps quotes, backslashes and control characters out of quoted values', () => {
    const header = formatWwwAuthenticate(new AuthError('claim_invalid', 'bad "iss"\\\r\nSet-Cookie: x'));
    expect(header).toBe('Bearer error="invalid_token", error_description="bad  iss    Set-Cookie: x"');
    expect(header).not.toMatch(/[\r\n]/);
  });
});

describe('toHttpException', () => {
  it('maps status, body and header', () => {
    const exception = toHttpException(new AuthError('insufficient_scope', 'missing', { requiredScopes: ['x'] }), 'r');
    expect(exception).toBeInstanceOf(BearerAuthException);
    expect(exception.getStatus()).toBe(403);
    expect(exception.getResponse()).toEqual({ statusCode: 403, error: 'insufficient_scope', message: 'missing' });
    expect(exception.wwwAuthenticate).toBe(
      'Bearer realm="r", error="insufficient_scope", error_description="missing", scope="x"',
    );
  });

  it('turns anything else into a 401 validation_failed that does not echo the cause', () => {
    const exception = toHttpException(new TypeError('secret internals'));
    expect(exception.getStatus()).toBe(401);
    expect(exception.getResponse()).toEqual({
      statusCode: 401,
      error: 'validation_failed',
      message: 'Token validation failed',
    });
  });
});

describe('toRpcErrorPayload', () => {
  it('gives status, code and message; gRPC a numeric status code', () => {
    expect(toRpcErrorPayload(new AuthError('multiple_tokens', 'two'), 'tcp')).toEqual({
      status: 400,
      code: 'multiple_tokens',
      message: 'two',
    });
    expect(toRpcErrorPayload(new AuthError('token_expired', 'old'), 'grpc')).toEqual({
      code: 16,
      message: 'token_expired: old',
      status: 401,
      error: 'token_expired',
    });
    expect(toRpcErrorPayload('weird')).toEqual({
      status: 401,
      code: 'validation_failed',
      message: 'Token validation failed',
    });
  });
});

describe('applyChallenge', () => {
  const exception = toHttpException(new AuthError('token_missing', 'none'), 'r');

  it('uses header() (Express and Fastify) or setHeader() (Node)', () => {
    const viaHeader = { header: jest.fn() };
    applyChallenge(viaHeader, exception);
    expect(viaHeader.header).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer realm="r"');
    const viaSetHeader = { setHeader: jest.fn() };
    applyChallenge(viaSetHeader, exception);
    expect(viaSetHeader.setHeader).toHaveBeenCalledWith('WWW-Authenticate', 'Bearer realm="r"');
  });

  it('leaves sent responses and non-objects alone', () => {
    const sent = { header: jest.fn(), headersSent: true };
    applyChallenge(sent, exception);
    expect(sent.header).not.toHaveBeenCalled();
    expect(() => applyChallenge(undefined, exception)).not.toThrow();
  });
});
