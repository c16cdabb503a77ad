import { ForbiddenException } from '@nestjs/common';
import { AuthError } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import { createHttpRequest } from '../../../testing';
import { BearerAuthException } from '../bearer-auth.exception';
import { BearerTokenStrategy, type BearerTokenVerifyCallback } from './bearer-token.strategy';

const principal = Object.freeze({ subject: 'p' }) as unknown as AuthPrincipal;

/** Run the strategy the way passport does: on a per-request copy carrying success / error. */
function authenticate(strategy: BearerTokenStrategy, request: object): Promise<{ user?: unknown; error?: unknown }> {
  return new Promise((resolve) => {
    const actions = Object.assign(Object.create(strategy) as BearerTokenStrategy, {
      success: (user: unknown) => resolve({ user }),
      error: (error: unknown) => resolve({ error }),
      fail: () => resolve({ error: 'fail called' }),
    });
    actions.authenticate(request);
  });
}

describe('BearerTokenStrategy', () => {
  const verify = jest.fn(async (token: string) => {
    if (token === 'good.token.sig') return principal;
    throw new AuthError('signature_invalid', 'bad signature');
  });
  const passThrough: BearerTokenVerifyCallback = (p, done) => done(null, p);

  it('verifies the bearer token and hands the principal to the verify callback', async () => {
    const strategy = new BearerTokenStrategy({ verifier: { verify } }, passThrough);
    await expect(
      authenticate(strategy, createHttpRequest({ authorization: 'Bearer good.token.sig' })),
    ).resolves.toEqual({ user: principal });
  });

  it('fails with a BearerAuthException carrying the challenge', async () => {
    const strategy = new BearerTokenStrategy({ verifier: { verify }, realm: 'r' }, passThrough);
    const { error } = await authenticate(strategy, createHttpRequest({ authorization: 'Bearer bad.token.sig' }));
    expect(error).toBeInstanceOf(BearerAuthException);
    expect((error as BearerAuthException).wwwAuthenticate).toBe(
      'Bearer realm="r", error="invalid_token", error_description="bad signature"',
    );
    const missing = await authenticate(strategy, createHttpRequest());
    expect((missing.error as BearerAuthException).wwwAuthenticate).toBe('Bearer realm="r"');
  });

  it('uses extra extractors and refuses a second token', async () => {
    const fromQuery = (req: { query?: Record<string, string> }) => req.query?.['t'] ?? null;
    const strategy = new BearerTokenStrategy({ verifier: { verify }, extractors: [fromQuery] }, passThrough);
    await expect(authenticate(strategy, createHttpRequest({}, { query: { t: 'good.token.sig' } }))).resolves.toEqual({
      user: principal,
    });
    const { error } = await authenticate(
      strategy,
      createHttpRequest({ authorization: 'Bearer good.token.sig' }, { query: { t: 'good.token.sig' } }),
    );
    expect((error as BearerAuthException).getStatus()).toBe(400);
  });

  it('passes application errors through and refuses a falsy user with 401', async () => {
    const refusing = new BearerTokenStrategy({ verifier: { verify } }, (_p, done) =>
      done(new ForbiddenException('nope')),
    );
    expect(
      (await authenticate(refusing, createHttpRequest({ authorization: 'Bearer good.token.sig' }))).error,
    ).toBeInstanceOf(ForbiddenException);
    const falsy = new BearerTokenStrategy({ verifier: { verify } }, (_p, done) => done(null, false));
    const { error } = await authenticate(falsy, createHttpRequest({ authorization: 'Bearer good.token.sig' }));
    expect((error as BearerAuthException).getStatus()).toBe(401);
  });

  it('turns a throwing verify callback into a 401', async () => {
    const throwing = new BearerTokenStrategy({ verifier: { verify } }, () => {
      throw new Error('bug');
    });
    const { error } = await authenticate(throwing, createHttpRequest({ authorization: 'Bearer good.token.sig' }));
    expect((error as BearerAuthException).getStatus()).toBe(401);
  });
});
