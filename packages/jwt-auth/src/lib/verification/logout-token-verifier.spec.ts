import { randomUUID } from 'node:crypto';
import { generateTestKey, nowSeconds, signRaw } from '../__fixtures__/tokens';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { BACKCHANNEL_LOGOUT_EVENT, LogoutTokenVerifier } from './logout-token-verifier';

const ISS = 'https://op.test';
const pair = generateTestKey('RS256');
const other = generateTestKey('RS256');

function logoutToken(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key = pair.privateKey,
): string {
  const now = nowSeconds();
  const payload = Object.fromEntries(
    Object.entries({
      iss: ISS,
      aud: 'web-portal',
      iat: now,
      exp: now + 120,
      jti: randomUUID(),
      sub: 'alice',
      sid: 'session-1',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...claims,
    }).filter(([, value]) => value !== undefined),
  );
  return signRaw('RS256', key, { alg: 'RS256', typ: 'logout+jwt', kid: 'k1', ...header }, payload);
}

function verifier(options: { replayCacheSize?: number; now?: () => number } = {}): LogoutTokenVerifier {
  return new LogoutTokenVerifier({
    issuer: ISS,
    clientId: 'web-portal',
    algorithms: ['RS256'],
    keys: { key: pair.publicKey, kid: 'k1' },
    ...options,
  });
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

describe('LogoutTokenVerifier', () => {
  it('accepts a valid logout token and returns its sid and sub', async () => {
    const result = await verifier().verify(logoutToken());
    expect(result).toMatchObject({ issuer: ISS, subject: 'alice', sessionId: 'session-1' });
  });

  it('accepts a token with only sid or only sub', async () => {
    const v = verifier();
    expect((await v.verify(logoutToken({ sub: undefined }))).subject).toBeUndefined();
    expect((await v.verify(logoutToken({ sid: undefined }))).sessionId).toBeUndefined();
  });

  it('refuses a replayed jti, and a fresh jti still passes', async () => {
    const v = verifier();
    const token = logoutToken();
    await v.verify(token);
    const error = await refusal(v.verify(token));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe(AuthErrorCode.CLAIM_INVALID);
    expect(error.message).toContain('replay');
    await expect(v.verify(logoutToken())).resolves.toBeDefined();
  });

  it('forgets a jti once its token has expired, and refuses new tokens while the cache is full of live ones', async () => {
    let now = Date.now();
    const v = verifier({ replayCacheSize: 1, now: () => now });
    await v.verify(logoutToken());
    expect((await refusal(v.verify(logoutToken()))).message).toContain('too many');
    now += 10 * 60_000;
    const later = Math.floor(now / 1000);
    await expect(v.verify(logoutToken({ iat: later, exp: later + 60 }))).resolves.toBeDefined();
  });

  it.each([
    ['an access token type', { typ: 'at+jwt' }],
    ['a plain JWT type', { typ: 'JWT' }],
    ['no typ', { typ: undefined }],
  ])('refuses %s', async (_name, header) => {
    const token = logoutToken({}, header);
    const error = await refusal(verifier().verify(token));
    expect(error.code).toBe(AuthErrorCode.TYPE_INVALID);
  });

  it('accepts the application/ form of the type', async () => {
    await expect(verifier().verify(logoutToken({}, { typ: 'application/logout+jwt' }))).resolves.toBeDefined();
  });

  it.each([
    ['a nonce', { nonce: 'n-1' }, 'nonce'],
    ['no events', { events: undefined }, 'event'],
    ['another event', { events: { 'https://example.com/other': {} } }, 'event'],
    ['an event that is not an object', { events: { [BACKCHANNEL_LOGOUT_EVENT]: true } }, 'event'],
    ['neither sid nor sub', { sid: undefined, sub: undefined }, 'neither'],
    ['an empty sid', { sid: '' }, 'sid'],
    ['an empty sub', { sub: '' }, 'sub'],
    ['an empty jti', { jti: '' }, 'jti'],
    ['a numeric sid', { sid: 7 }, 'sid'],
    ['no jti', { jti: undefined }, 'jti'],
    ['no iat', { iat: undefined }, 'iat'],
  ])('refuses a token with %s', async (_name, claims, message) => {
    const error = await refusal(verifier().verify(logoutToken(claims)));
    expect(error.code).toBe(AuthErrorCode.CLAIM_INVALID);
    expect(error.message).toContain(message);
  });

  it('refuses another audience, another issuer, an expired token and a forged signature', async () => {
    expect((await refusal(verifier().verify(logoutToken({ aud: 'admin-console' })))).code).toBe(
      AuthErrorCode.AUDIENCE_INVALID,
    );
    expect((await refusal(verifier().verify(logoutToken({ iss: 'https://evil.test' })))).code).toBe(
      AuthErrorCode.ISSUER_INVALID,
    );
    const old = nowSeconds() - 3600;
    expect((await refusal(verifier().verify(logoutToken({ iat: old, exp: old + 60 })))).code).toBe(
      AuthErrorCode.TOKEN_EXPIRED,
    );
    expect((await refusal(verifier().verify(logoutToken({}, {}, other.privateKey)))).code).toBe(
      AuthErrorCode.SIGNATURE_INVALID,
    );
  });

  it('refuses a token issued longer ago than maxTokenAge even when it has not expired', async () => {
    const now = nowSeconds();
    const stale = logoutToken({ iat: now - 400, exp: now + 3600 });
    expect((await refusal(verifier().verify(stale))).code).toBe(AuthErrorCode.TOKEN_AGE_INVALID);
    const fresh = logoutToken({ iat: now - 200, exp: now + 3600 });
    await expect(verifier().verify(fresh)).resolves.toMatchObject({ sessionId: 'session-1' });
  });

  it('does not spend a jti on a token that fails verification', async () => {
    const v = verifier();
    const jti = randomUUID();
    await refusal(v.verify(logoutToken({ jti }, {}, other.privateKey)));
    await expect(v.verify(logoutToken({ jti }))).resolves.toBeDefined();
  });

  it('refuses garbage with an AuthError, never another error', async () => {
    for (const input of ['', 'a.b.c', 'x'.repeat(10_000), undefined as unknown as string]) {
      expect(await refusal(verifier().verify(input))).toBeInstanceOf(AuthError);
    }
  });

  it('reports every problem of its options at once, under the names it takes', () => {
    let error: unknown;
    try {
      new LogoutTokenVerifier({ issuer: '', clientId: '', replayCacheSize: 0, maxTokenAge: -1, maxTokenLength: 5 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    expect((error as JwtAuthConfigError).problems.map((problem) => problem.option).sort()).toEqual(
      ['clientId', 'issuer', 'maxTokenAge', 'maxTokenLength', 'replayCacheSize'].sort(),
    );
    expect((error as JwtAuthConfigError).message).not.toContain('issuers[0]');
  });

  it('validates its options at construction', () => {
    expect(() => new LogoutTokenVerifier({ issuer: ISS, clientId: '', keys: { key: pair.publicKey } })).toThrow(
      JwtAuthConfigError,
    );
    expect(
      () => new LogoutTokenVerifier({ issuer: ISS, clientId: 'c', keys: { key: pair.publicKey }, replayCacheSize: 0 }),
    ).toThrow(JwtAuthConfigError);
    expect(
      () =>
        new LogoutTokenVerifier({
          issuer: ISS,
          clientId: 'c',
          keys: { key: pair.publicKey },
          audience: 'c',
        } as never),
    ).toThrow(/audience: unknown option/);
  });
});
