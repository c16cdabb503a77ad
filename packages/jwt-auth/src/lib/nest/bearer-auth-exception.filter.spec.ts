import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { lastValueFrom, type Observable } from 'rxjs';
import { AuthError } from '../errors/auth.errors';
import { toHttpException } from './auth-error.mapper';
import { BearerAuthExceptionFilter } from './bearer-auth-exception.filter';

const host = (type: string, response: unknown = {}): ArgumentsHost =>
  ({ getType: () => type, switchToHttp: () => ({ getResponse: () => response }) }) as unknown as ArgumentsHost;

describe('BearerAuthExceptionFilter', () => {
  const exception = toHttpException(new AuthError('token_expired', 'old'), 'api');

  it('sets the challenge and replies with the body through the HTTP adapter', () => {
    const adapter = { isHeadersSent: jest.fn(() => false), setHeader: jest.fn(), reply: jest.fn(), end: jest.fn() };
    const response = {};
    new BearerAuthExceptionFilter({ httpAdapter: adapter } as unknown as HttpAdapterHost).catch(
      exception,
      host('http', response),
    );
    expect(adapter.setHeader).toHaveBeenCalledWith(
      response,
      'WWW-Authenticate',
      'Bearer realm="api", error="invalid_token", error_description="old"',
    );
    expect(adapter.reply).toHaveBeenCalledWith(
      response,
      { statusCode: 401, error: 'token_expired', message: 'old' },
      401,
    );
  });

  it('falls back to the raw Node response without an adapter', () => {
    const response = { headersSent: false, statusCode: 200, setHeader: jest.fn(), end: jest.fn() };
    new BearerAuthExceptionFilter(undefined).catch(exception, host('http', response));
    expect(response.statusCode).toBe(401);
    expect(response.setHeader).toHaveBeenCalledWith('WWW-Authenticate', expect.stringContaining('invalid_token'));
    expect(JSON.parse(response.end.mock.calls[0][0] as string)).toEqual({
      statusCode: 401,
      error: 'token_expired',
      message: 'old',
    });
  });

  it('answers an RPC caller with the status/code payload', async () => {
    const result = new BearerAuthExceptionFilter(undefined).catch(exception, host('rpc')) as Observable<never>;
    await expect(lastValueFrom(result)).rejects.toEqual({ status: 401, code: 'token_expired', message: 'old' });
  });
});
