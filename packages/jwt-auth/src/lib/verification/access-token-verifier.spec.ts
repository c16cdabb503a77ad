import crypto from 'node:crypto';
import { createSecretKey, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateTestKey, signRaw, signToken, nowSeconds, b64u, type TestKeyPair } from '../__fixtures__/tokens';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import type { KeySource } from '../keys/key-source.interface';
import { toVerificationKey } from '../keys/verification-key';
import { AccessTokenVerifier } from './access-token-verifier';
import type { IssuerOptions } from './verifier-options.interface';

const ISS_A = 'https://issuer.test';
const ISS_B = 'https://other-issuer.test';
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
const pairs = Object.fromEntries(ASYMMETRIC.map((alg) => [alg, generateTestKey(alg)])) as Record<
  (typeof ASYMMETRIC)[number],
  TestKeyPair
>;
const keyB = generateTestKey('ES256');

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    return error as AuthError;
  }
  throw new Error('expected a rejection');
}

let canary: Server;
let canaryHits = 0;
let canaryUrl = '';
beforeAll(async () => {
  canary = createServer((_req, res) => {
    canaryHits++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => canary.close(resolve)));

function verifier(extra: Partial<IssuerOptions> = {}, more: IssuerOptions[] = []): AccessTokenVerifier {
  return new AccessTokenVerifier({
    issuers: [
      {
        issuer: ISS_A,
        audience: ['api', 'other-api'],
        keys: ASYMMETRIC.map((alg) => ({ key: pairs[alg].publicKey, kid: alg })),
        ...extra,
      },
      ...more,
    ],
  });
}

// Every object and array reachable from the principal is frozen (SECURITY.md "Claims").
function expectDeepFrozen(value: unknown, path = 'principal'): void {
  if (typeof value !== 'object' || value === null) return;
  expect({ path, frozen: Object.isFrozen(value) }).toEqual({ path, frozen: true });
  for (const [key, member] of Object.entries(value)) expectDeepFrozen(member, `${path}.${key}`);
}

describe('AccessTokenVerifier', () => {
  const v = verifier({}, [{ issuer: ISS_B, audience: 'api', keys: [{ key: keyB.publicKey, kid: 'b' }] }]);

  it.each(ASYMMETRIC)('accepts a valid %s token and returns a frozen null-prototype principal', async (alg) => {
    const token = signToken(
      pairs[alg],
      { client_id: 'web', scope: 'orders:read orders:write', nested: { a: [1] } },
      { kid: alg },
    );
    const principal = await v.verify(token);
    expect(principal).toMatchObject({
      issuer: ISS_A,
      subject: 'user-1',
      audience: ['api'],
      scopes: ['orders:read', 'orders:write'],
      clientId: 'web',
    });
    expect(principal.header).toEqual({ alg, kid: alg, typ: 'at+jwt' });
    expect(Object.getPrototypeOf(principal)).toBeNull();
    expect(Object.getPrototypeOf(principal.claims)).toBeNull();
    expectDeepFrozen(principal);
  });

  it('freezes every part of the principal whatever shape aud and the scope claim take', async () => {
    const scp = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', keys: pairs.ES256.publicKey, scopeClaim: 'scp' }],
    });
    const withScp = await scp.verify(
      signToken(pairs.ES256, { aud: ['other', 'api'], scp: ['a', '', 'b'], roles: [{ r: ['x'] }] }),
    );
    expect(withScp.scopes).toEqual(['a', 'b']);
    expect(withScp.audience).toEqual(['other', 'api']);
    expectDeepFrozen(withScp);
    const none = await scp.verify(signToken(pairs.ES256, { scp: undefined }));
    expect(none.scopes).toEqual([]);
    expectDeepFrozen(none);
    expectDeepFrozen(await v.verify(signToken(pairs.ES256, { scope: undefined }, { kid: 'ES256' })));
  });

  it("applies each issuer's header rules to a header segment the issuers share", async () => {
    // Both issuers get the very same header segment, so the same parsed header object: what one issuer accepted must
    // not carry over to the other, in either order.
    const both = new AccessTokenVerifier({
      issuers: [
        {
          issuer: ISS_A,
          audience: 'api',
          algorithms: ['ES256'],
          keys: [{ key: pairs.ES256.publicKey, kid: 'shared' }],
        },
        {
          issuer: ISS_B,
          audience: 'api',
          algorithms: ['ES384'],
          keys: [{ key: pairs.ES384.publicKey, kid: 'shared' }],
        },
      ],
    });
    const forA = signToken(pairs.ES256, {}, { kid: 'shared', typ: 'JWT' });
    const forB = signToken(pairs.ES256, { iss: ISS_B }, { kid: 'shared', typ: 'JWT' });
    for (let round = 0; round < 2; round++) {
      expect((await both.verify(forA)).issuer).toBe(ISS_A);
      expect((await rejection(both.verify(forB))).code).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
    }
    const strictB = new AccessTokenVerifier({
      issuers: [
        {
          issuer: ISS_A,
          audience: 'api',
          algorithms: ['ES256'],
          keys: [{ key: pairs.ES256.publicKey, kid: 'shared' }],
        },
        {
          issuer: ISS_B,
          audience: 'api',
          algorithms: ['ES256'],
          keys: [{ key: pairs.ES256.publicKey, kid: 'shared' }],
          tokenType: 'strict',
        },
      ],
    });
    for (let round = 0; round < 2; round++) {
      expect((await strictB.verify(forA)).issuer).toBe(ISS_A);
      expect((await rejection(strictB.verify(forB))).code).toBe(AuthErrorCode.TYPE_INVALID);
    }
  });

  it('accepts HS256 only with a locally configured secret', async () => {
    const secret = randomBytes(32);
    const hs = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['HS256'], secret }],
    });
    const token = signToken({ alg: 'HS256', privateKey: createSecretKey(secret) });
    await expect(hs.verify(token)).resolves.toMatchObject({ issuer: ISS_A });
  });

  it("refuses an HS256 token keyed with the issuer's public key (alg confusion)", async () => {
    const pem = pairs.RS256.publicKey.export({ type: 'spki', format: 'pem' });
    const token = signToken({ alg: 'HS256', privateKey: createSecretKey(Buffer.from(pem)) }, {}, { kid: 'RS256' });
    expect((await rejection(v.verify(token))).code).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
  });

  it("refuses an alg that the issuer allows but the kid's key does not fit", async () => {
    const token = signToken(pairs.ES256, {}, { kid: 'RS256' });
    expect((await rejection(v.verify(token))).code).toBe(AuthErrorCode.KEY_NOT_FOUND);
  });

  it('refuses unsigned tokens', async () => {
    const header = b64u({ alg: 'none' });
    const payload = b64u({ iss: ISS_A, aud: 'api', exp: nowSeconds() + 60 });
    for (const token of [`${header}.${payload}.`, `${header}.${payload}.AAAA`]) {
      expect([AuthErrorCode.TOKEN_MALFORMED, AuthErrorCode.ALGORITHM_NOT_ALLOWED]).toContain(
        (await rejection(v.verify(token))).code,
      );
    }
  });

  it("selects the issuer by iss and tries only that issuer's keys", async () => {
    expect(await v.verify(signToken(keyB, { iss: ISS_B }, { kid: 'b' }))).toMatchObject({ issuer: ISS_B });
    // Signed with B's key but naming A, and the reverse.
    expect((await rejection(v.verify(signToken(keyB, { iss: ISS_A }, { kid: 'ES256' })))).code).toBe(
      AuthErrorCode.SIGNATURE_INVALID,
    );
    expect((await rejection(v.verify(signToken(keyB, { iss: ISS_A }, { kid: 'b' })))).code).toBe(
      AuthErrorCode.KEY_NOT_FOUND,
    );
    expect((await rejection(v.verify(signToken(pairs.ES256, { iss: ISS_B }, { kid: 'b' })))).code).toBe(
      AuthErrorCode.SIGNATURE_INVALID,
    );
  });

  it('never fetches anything for an issuer that is not configured', async () => {
    const realm = {
      issuer: `${canaryUrl}/realm`,
      audience: 'api',
      jwksUri: `${canaryUrl}/jwks`,
      allowInsecureHttp: true,
    };
    // Two issuers go through the issuer map; one is compared directly.
    for (const issuers of [[realm, { issuer: canaryUrl, audience: 'api', allowInsecureHttp: true }], [realm]]) {
      const remote = new AccessTokenVerifier({ issuers });
      for (const iss of [
        `${canaryUrl}/realm/`,
        `${canaryUrl}/REALM`,
        `${canaryUrl}/`,
        `${canaryUrl}/evil`,
        'https://attacker.test',
        '',
        undefined,
        7,
      ]) {
        const token = signToken(pairs.ES256, { iss });
        expect((await rejection(remote.verify(token))).code).toBe(AuthErrorCode.ISSUER_INVALID);
      }
      remote.close();
    }
    expect(canaryHits).toBe(0);
  });

  it('enforces the per-issuer algorithm allow-list', async () => {
    const es = verifier({ algorithms: ['ES256'], keys: [{ key: pairs.ES256.publicKey, kid: 'ES256' }] });
    expect(() => verifier({ algorithms: ['ES256'] })).toThrow(/issuers\[0\]\.keys.*allowed algorithms/);
    expect((await rejection(es.verify(signToken(pairs.RS256, {}, { kid: 'RS256' })))).code).toBe(
      AuthErrorCode.ALGORITHM_NOT_ALLOWED,
    );
    await expect(es.verify(signToken(pairs.ES256, {}, { kid: 'ES256' }))).resolves.toBeDefined();
  });

  it('applies the typ policy', async () => {
    expect((await rejection(v.verify(signToken(pairs.ES256, {}, { kid: 'ES256', typ: 'id_token+jwt' })))).code).toBe(
      AuthErrorCode.TYPE_INVALID,
    );
    const strict = verifier({ tokenType: 'strict' });
    expect((await rejection(strict.verify(signToken(pairs.ES256, {}, { kid: 'ES256', typ: 'JWT' })))).code).toBe(
      AuthErrorCode.TYPE_INVALID,
    );
    await expect(
      strict.verify(signToken(pairs.ES256, {}, { kid: 'ES256', typ: 'application/at+jwt' })),
    ).resolves.toBeDefined();
  });

  it('requires sub unless requireSubject is false, and the rfc9068 profile requires client_id, iat, jti and at+jwt', async () => {
    const noSub = signToken(pairs.ES256, { sub: undefined }, { kid: 'ES256' });
    expect((await rejection(v.verify(noSub))).code).toBe(AuthErrorCode.CLAIM_INVALID);
    expect((await verifier({ requireSubject: false }).verify(noSub)).subject).toBeUndefined();

    const strict = verifier({ profile: 'rfc9068' });
    const full = { client_id: 'c1', jti: 'j1' };
    await expect(strict.verify(signToken(pairs.ES256, full, { kid: 'ES256' }))).resolves.toMatchObject({
      subject: 'user-1',
      clientId: 'c1',
    });
    for (const missing of ['sub', 'client_id', 'jti', 'iat']) {
      const token = signToken(pairs.ES256, { ...full, [missing]: undefined }, { kid: 'ES256' });
      expect({ missing, code: (await rejection(strict.verify(token))).code }).toEqual({
        missing,
        code: AuthErrorCode.CLAIM_INVALID,
      });
    }
    const plainJwt = signToken(pairs.ES256, full, { kid: 'ES256', typ: 'JWT' });
    expect((await rejection(strict.verify(plainJwt))).code).toBe(AuthErrorCode.TYPE_INVALID);
    expect(() => verifier({ profile: 'rfc9068', requireSubject: false })).toThrow(/requireSubject/);
    expect(() => verifier({ profile: 'rfc7519' as never })).toThrow(/profile/);
  });

  it('checks claims only after the signature', async () => {
    const expiredForged = signRaw(
      'ES256',
      keyB.privateKey,
      { alg: 'ES256', kid: 'ES256' },
      { iss: ISS_A, aud: 'api', exp: 1 },
    );
    expect((await rejection(v.verify(expiredForged))).code).toBe(AuthErrorCode.SIGNATURE_INVALID);
    const expired = signToken(pairs.ES256, { exp: nowSeconds() - 120 }, { kid: 'ES256' });
    expect((await rejection(v.verify(expired))).code).toBe(AuthErrorCode.TOKEN_EXPIRED);
    const wrongAud = signToken(pairs.ES256, { aud: 'someone-else' }, { kid: 'ES256' });
    expect((await rejection(v.verify(wrongAud))).code).toBe(AuthErrorCode.AUDIENCE_INVALID);
  });

  it('uses the configured clock and scope claim', async () => {
    const later = new AccessTokenVerifier({
      now: () => (nowSeconds() + 3600) * 1000,
      issuers: [{ issuer: ISS_A, audience: 'api', keys: pairs.ES256.publicKey, scopeClaim: 'scp' }],
    });
    expect((await rejection(later.verify(signToken(pairs.ES256)))).code).toBe(AuthErrorCode.TOKEN_EXPIRED);
    const ok = await later.verify(signToken(pairs.ES256, { exp: nowSeconds() + 7200, scp: ['a', 'b'] }));
    expect(ok.scopes).toEqual(['a', 'b']);
  });

  it('turns an unexpected throw into validation_failed (401), never a pass', async () => {
    const broken: KeySource = {
      getKeys: () => Promise.reject(new TypeError('boom')),
      getState: () => ({ kind: 'broken', status: 'failing', keyIds: [], keyCount: 0, consecutiveFailures: 1 }),
    };
    const b = new AccessTokenVerifier({ issuers: [{ issuer: ISS_A, audience: 'api', keySource: broken }] });
    const error = await rejection(b.verify(signToken(pairs.ES256)));
    expect(error).toBeInstanceOf(AuthError);
    expect([error.code, error.status, error.bearerError]).toEqual([
      AuthErrorCode.VALIDATION_FAILED,
      401,
      'invalid_token',
    ]);
  });

  it('never puts the token into an error, and keeps only loggable header values', async () => {
    const kid = 'evil\nkid';
    const token = signToken(pairs.ES256, { exp: nowSeconds() - 500 }, { kid });
    const error = await rejection(v.verify(token));
    const serialized = `${error.message} ${JSON.stringify(error)} ${JSON.stringify(error.details)} ${String(error.stack)}`;
    expect(serialized).not.toContain(token.split('.')[1]);
    expect(serialized).not.toContain(token.split('.')[2]);
    expect(error.details.kid).toBeUndefined();
    expect(error.details.issuer).toBe(ISS_A);
  });

  it('refuses non-string and oversized input', async () => {
    expect((await rejection(v.verify(undefined as unknown as string))).code).toBe(AuthErrorCode.TOKEN_MALFORMED);
    expect((await rejection(v.verify({} as unknown as string))).code).toBe(AuthErrorCode.TOKEN_MALFORMED);
    expect((await rejection(v.verify('a'.repeat(1 << 20)))).code).toBe(AuthErrorCode.TOKEN_TOO_LARGE);
  });

  it('reports key source state per issuer', () => {
    expect(Object.keys(v.getKeySourceStates())).toEqual([ISS_A, ISS_B]);
    expect(v.getKeySourceStates()[ISS_A].keyCount).toBe(10);
  });
});

describe('AccessTokenVerifier configuration', () => {
  const ok: IssuerOptions = { issuer: ISS_A, audience: 'api', keys: pairs.ES256.publicKey };
  const fails = (issuer: Partial<IssuerOptions> | null, option: string | RegExp, extra: object = {}) => {
    let error: unknown;
    try {
      new AccessTokenVerifier({ issuers: issuer === null ? [] : [{ ...ok, ...issuer } as IssuerOptions], ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    expect((error as JwtAuthConfigError).message).toMatch(option);
    expect((error as JwtAuthConfigError).message).toMatch(/Fix: /);
  };

  it('names the option and the fix for each invalid setting', () => {
    fails(null, /issuers/);
    fails({ issuer: '' }, /issuers\[0\]\.issuer/);
    fails({ audience: '' }, /issuers\[0\]\.audience/);
    fails({ audience: [] }, /issuers\[0\]\.audience/);
    fails({ algorithms: ['none' as never] }, /"none" can never be allowed/);
    fails({ algorithms: ['NONE' as never] }, /"none" can never be allowed/);
    fails({ algorithms: ['rs256' as never] }, /not a supported/);
    fails({ algorithms: [] }, /algorithms/);
    fails(
      { keys: undefined, jwksUri: 'https://issuer.test/jwks', algorithms: ['RS256', 'HS256'] },
      /HS256 needs a locally configured secret/,
    );
    fails({ keys: undefined, algorithms: ['HS256'] }, /HS256 needs a locally configured secret/);
    fails({ keys: undefined, algorithms: ['HS256'], secret: 'your-256-bit-secret' }, /secret.*placeholder/);
    fails({ keys: undefined, algorithms: ['HS256'], secret: 'too-short' }, /secret.*shorter/);
    fails({ keys: undefined, algorithms: ['HS256'], secret: '' }, /secret.*empty/);
    fails({ keys: undefined, secret: randomBytes(32) }, /no HS algorithm/);
    fails({ keys: undefined, jwksUri: 'http://issuer.test/jwks' }, /jwksUri.*allowInsecureHttp/);
    fails({ keys: undefined, jwksUri: 'http://issuer.test/jwks', allowInsecureHttp: true }, /loopback hosts only/);
    fails({ keys: undefined, issuer: 'http://issuer.test' }, /discovery.*allowInsecureHttp/);
    fails({ keys: undefined, jwksUri: 'https://user:pw@issuer.test/jwks' }, /credentials/);
    fails({ keys: undefined, jwksUri: 'not a url' }, /absolute URL/);
    fails({ jwksUri: 'https://issuer.test/jwks' }, /more than one kind of key source/);
    fails({ clockTolerance: 301 }, /clockTolerance/);
    fails({ clockTolerance: -1 }, /clockTolerance/);
    fails({ scopeClaim: 'scopes' as never }, /scopeClaim/);
    fails({ tokenType: 'lenient' as never }, /tokenType/);
    fails({ fetch: { timeoutMs: 0 } }, /fetch\.timeoutMs/);
    fails(
      { keys: undefined, jwksUri: 'https://issuer.test/jwks', fetch: { refreshAheadMs: 700_000 } },
      /issuers\[0\]\.fetch\.refreshAheadMs|issuers\[0\].*refreshAheadMs/,
    );
    fails({ keys: undefined, discovery: false }, /discovery: false/);
    fails({ keys: undefined, discovery: true, jwksUri: 'https://issuer.test/jwks' }, /both jwksUri and discovery/);
    fails({ fetch: { timeout: 5 } as never }, /fetch\.timeout/);
    fails({ keys: 'not a pem' }, /issuers\[0\]\.keys/);
    fails({}, /maxTokenLength/, { maxTokenLength: 10 });
    fails({}, /clockTolerance/, { clockTolerance: 3600 });
    expect(() => new AccessTokenVerifier({ issuers: [ok, ok] })).toThrow(/configured twice/);
  });

  const configError = (options: unknown): JwtAuthConfigError => {
    try {
      new AccessTokenVerifier(options as never);
    } catch (error) {
      if (error instanceof JwtAuthConfigError) return error;
      throw error;
    }
    throw new Error('the options were accepted');
  };

  it('refuses unknown options by name, with the closest known name, instead of reporting the missing one', () => {
    const error = configError({ issuers: [{ issuer: ISS_A, audiance: 'api', keys: pairs.ES256.publicKey }] });
    expect(error.problems).toEqual([
      {
        option: 'issuers[0].audiance',
        problem: 'unknown option; did you mean audience?',
        fix: 'rename audiance to audience',
      },
    ]);
    expect(error.message).toBe(
      'Invalid option issuers[0].audiance: unknown option; did you mean audience? Fix: rename audiance to audience',
    );
    expect(configError({ issuers: [ok], clockTolerence: 5 }).message).toMatch(
      /Invalid option clockTolerence: unknown option; did you mean clockTolerance\?/,
    );
    expect(configError({ issuers: [{ ...ok, fetch: { timeoutMS: 5 } }] }).option).toBe('issuers[0].fetch.timeoutMS');
    const far = configError({ issuers: [{ ...ok, colour: 'blue' }] });
    expect(far.problem).toBe('unknown option');
    expect(far.fix).toMatch(/^remove it; an entry of issuers takes issuer, audience, algorithms/);
  });

  it('says so when given the JwtAuthModule single-issuer shorthand instead of issuers', () => {
    const error = configError({ issuer: ISS_A, audience: 'api', keys: pairs.ES256.publicKey });
    expect(error.problems).toHaveLength(1);
    expect(error.option).toBe('issuers');
    expect(error.problem).toMatch(
      /issuer, audience, keys are set at the top level: .*single-issuer shorthand of JwtAuthModule/,
    );
    expect(error.fix).toBe('pass new AccessTokenVerifier({ issuers: [{ issuer, audience, keys }] })');
    expect(error.message).not.toMatch(/is empty/);
  });

  it('reports every problem at once, across issuers and verifier-wide options', () => {
    const error = configError({
      issuers: [
        { issuer: '', audience: [], algorithms: ['none', 'rs256'], keys: pairs.ES256.publicKey },
        { ...ok, issuer: ISS_B, scopeClaim: 'scopes', fetch: { timeoutMs: 0, cooldownMs: -1 } },
        { issuer: ISS_A, audience: 'api', jwksUri: 'http://issuer.test/jwks' },
      ],
      maxTokenLength: 10,
      verifiedTokenCacheSize: -1,
    });
    expect(error.problems.map((problem) => problem.option)).toEqual([
      'maxTokenLength',
      'verifiedTokenCacheSize',
      'issuers[0].issuer',
      'issuers[0].audience',
      'issuers[0].algorithms',
      'issuers[0].algorithms',
      'issuers[1].scopeClaim',
      'issuers[1].fetch.timeoutMs',
      'issuers[1].fetch.cooldownMs',
      'issuers[2].jwksUri',
    ]);
    expect(error.message.split('\n')[0]).toBe('10 problems in the options:');
    expect(error.message.split('\n').slice(1)).toEqual(
      error.problems.map((p) => expect.stringContaining(`Invalid option ${p.option}: `)),
    );
    expect(error.code).toBe('config_invalid');
  });

  it('accepts a plain http JWKS URL only with allowInsecureHttp', () => {
    expect(
      () =>
        new AccessTokenVerifier({
          issuers: [{ issuer: ISS_A, audience: 'api', jwksUri: `${canaryUrl}/jwks`, allowInsecureHttp: true }],
        }),
    ).not.toThrow();
  });
});

describe('AccessTokenVerifier verified-token cache', () => {
  const pair = generateTestKey('ES256');
  const swap = generateTestKey('ES256');

  function mutableSource() {
    let keys = [toVerificationKey(pair.publicKey, 'k', 'ES256', undefined)];
    let lookups = 0;
    const source: KeySource = {
      getKeys: async ({ kid }) => {
        lookups++;
        return keys.filter((k) => k.kid === kid);
      },
      getState: () => ({ kind: 'test', status: 'fresh', keyIds: ['k'], keyCount: keys.length, consecutiveFailures: 0 }),
    };
    return {
      source,
      lookups: () => lookups,
      replace: (next: typeof keys) => (keys = next),
    };
  }

  it('serves a repeated token from the cache but drops it as soon as its key is no longer served', async () => {
    const m = mutableSource();
    const v = new AccessTokenVerifier({ issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }] });
    const token = signToken(pair, {}, { kid: 'k' });
    const first = await v.verify(token);
    expect(await v.verify(token)).toBe(first);
    // Same kid, different key (rotation that reuses a kid, or a compromised key swapped out).
    m.replace([toVerificationKey(swap.publicKey, 'k', 'ES256', undefined)]);
    expect((await rejection(v.verify(token))).code).toBe(AuthErrorCode.SIGNATURE_INVALID);
    m.replace([]);
    expect((await rejection(v.verify(token))).code).toBe(AuthErrorCode.KEY_NOT_FOUND);
  });

  it('re-checks expiry on every hit', async () => {
    let now = Date.now();
    const m = mutableSource();
    const v = new AccessTokenVerifier({
      now: () => now,
      issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }],
    });
    const token = signToken(pair, { exp: Math.floor(now / 1000) + 30 }, { kid: 'k' });
    await v.verify(token);
    now += 120_000;
    expect((await rejection(v.verify(token))).code).toBe(AuthErrorCode.TOKEN_EXPIRED);
  });

  it('can be disabled and rejects a bad size', async () => {
    const m = mutableSource();
    const v = new AccessTokenVerifier({
      verifiedTokenCacheSize: 0,
      issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }],
    });
    const token = signToken(pair, {}, { kid: 'k' });
    const a = await v.verify(token);
    const b = await v.verify(token);
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
    expect(
      () =>
        new AccessTokenVerifier({
          verifiedTokenCacheSize: -1,
          issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }],
        }),
    ).toThrow(/verifiedTokenCacheSize/);
    const off = new AccessTokenVerifier({
      verifiedTokenCacheMaxBytes: 0,
      issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }],
    });
    expect(await off.verify(token)).not.toBe(await off.verify(token));
    for (const bad of [-1, 1.5, 2 ** 33])
      expect(
        () =>
          new AccessTokenVerifier({
            verifiedTokenCacheMaxBytes: bad,
            issuers: [{ issuer: ISS_A, audience: 'api', keySource: m.source }],
          }),
      ).toThrow(/verifiedTokenCacheMaxBytes/);
  });
});

describe('AccessTokenVerifier refusal costs', () => {
  const keys = ['k1', 'k2', 'k3'].map((kid) => ({ kid, pair: generateTestKey('ES256') }));
  const verifier = new AccessTokenVerifier({
    issuers: [
      {
        issuer: ISS_A,
        audience: 'api',
        algorithms: ['ES256'],
        keys: keys.map(({ kid, pair }) => ({ kid, key: pair.publicKey })),
      },
    ],
  });
  let verifyCalls: jest.SpiedFunction<typeof crypto.verify>;
  beforeEach(() => (verifyCalls = jest.spyOn(crypto, 'verify')));
  afterEach(() => verifyCalls.mockRestore());

  it('spends exactly one signature check on each presentation of a forged token, none on cheaper refusals', async () => {
    const valid = signToken(keys[1].pair, {}, { kid: 'k2' });
    // Signed by k1's private key but naming k2: only k2 is tried, once, and the failure is never remembered.
    const forged = signToken(keys[0].pair, {}, { kid: 'k2' });
    await verifier.verify(valid);
    expect(verifyCalls).toHaveBeenCalledTimes(1);
    verifyCalls.mockClear();
    for (let i = 0; i < 3; i++) {
      expect((await rejection(verifier.verify(forged))).code).toBe(AuthErrorCode.SIGNATURE_INVALID);
      expect(verifyCalls).toHaveBeenCalledTimes(i + 1);
    }
    verifyCalls.mockClear();
    const refusals = [
      'not-a-token',
      `${valid.split('.')[0]}.!!!.${valid.split('.')[2]}`,
      signToken(keys[0].pair, { iss: ISS_B }, { kid: 'k1' }),
      signToken(keys[0].pair, {}, { kid: 'unknown-kid' }),
    ];
    for (const token of refusals) await rejection(verifier.verify(token));
    expect(verifyCalls).not.toHaveBeenCalled();
    // The cheap unknown-kid refusal still keeps an unprintable kid out of the error (and so out of logs).
    const unknown = await rejection(verifier.verify(signToken(keys[0].pair, {}, { kid: 'no\nsuch' })));
    expect(unknown.code).toBe(AuthErrorCode.KEY_NOT_FOUND);
    expect(unknown.details).toMatchObject({ issuer: ISS_A, kid: undefined, alg: 'ES256' });
    await verifier.verify(valid);
    expect(verifyCalls).not.toHaveBeenCalled();
  });
});

describe('AccessTokenVerifier.verifyOutcome', () => {
  const pair = generateTestKey('ES256');
  const staticVerifier = new AccessTokenVerifier({
    issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['ES256'], keys: [{ kid: 'k1', key: pair.publicKey }] }],
  });

  it('answers at once with keys at hand: the principal, or the refusal as a value', () => {
    const valid = signToken(pair, {}, { kid: 'k1' });
    const first = staticVerifier.verifyOutcome(valid);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toMatchObject({ issuer: ISS_A, subject: 'user-1' });
    // A cache hit is the same principal, at once.
    expect(staticVerifier.verifyOutcome(valid)).toBe(first);
    const cases: [string, AuthErrorCode][] = [
      ['not-a-token', AuthErrorCode.TOKEN_MALFORMED],
      [signToken(pair, { iss: ISS_B }, { kid: 'k1' }), AuthErrorCode.ISSUER_INVALID],
      [signToken(pair, {}, { kid: 'unknown-kid' }), AuthErrorCode.KEY_NOT_FOUND],
      [signToken(generateTestKey('ES256'), {}, { kid: 'k1' }), AuthErrorCode.SIGNATURE_INVALID],
      [signToken(pair, { exp: nowSeconds() - 120 }, { kid: 'k1' }), AuthErrorCode.TOKEN_EXPIRED],
      [undefined as unknown as string, AuthErrorCode.TOKEN_MALFORMED],
    ];
    for (const [token, code] of cases) {
      const outcome = staticVerifier.verifyOutcome(token);
      expect(outcome).toBeInstanceOf(AuthError);
      expect((outcome as AuthError).code).toBe(code);
    }
  });

  it('shares the refusals that carry nothing of the token, frozen so that no caller can change them for the next', () => {
    const stranger = [
      signToken(pair, { iss: ISS_B, sub: 'a' }, { kid: 'k1' }),
      signToken(pair, { iss: ISS_B, sub: 'b' }),
    ];
    const [first, second] = stranger.map((token) => staticVerifier.verifyOutcome(token) as AuthError);
    expect(first.code).toBe(AuthErrorCode.ISSUER_INVALID);
    expect(second).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.details)).toBe(true);

    // key_not_found names the header's kid and alg: one error per accepted header, shared by its tokens.
    const lost = [signToken(pair, { sub: 'a' }, { kid: 'gone' }), signToken(pair, { sub: 'b' }, { kid: 'gone' })];
    const [one, two] = lost.map((token) => staticVerifier.verifyOutcome(token) as AuthError);
    expect(one).toMatchObject({
      code: AuthErrorCode.KEY_NOT_FOUND,
      details: { issuer: ISS_A, kid: 'gone', alg: 'ES256' },
    });
    expect(two).toBe(one);
    expect(Object.isFrozen(one) && Object.isFrozen(one.details)).toBe(true);
    const other = staticVerifier.verifyOutcome(signToken(pair, {}, { kid: 'elsewhere' })) as AuthError;
    expect(other.details.kid).toBe('elsewhere');
  });

  it('answers with a promise only while keys are fetched, and it settles to the refusal instead of rejecting', async () => {
    let release: (keys: never[]) => void = () => undefined;
    const slow: KeySource = {
      getKeys: () => new Promise((resolve) => (release = resolve)),
      getState: () => ({ kind: 'slow', status: 'pending', keyIds: [], keyCount: 0, consecutiveFailures: 0 }),
    };
    const fetching = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['ES256'], keySource: slow }],
    });
    const outcome = fetching.verifyOutcome(signToken(pair, {}, { kid: 'k1' }));
    expect(outcome).toBeInstanceOf(Promise);
    release([]);
    const settled = await outcome;
    expect(settled).toBeInstanceOf(AuthError);
    expect((settled as AuthError).code).toBe(AuthErrorCode.KEY_NOT_FOUND);

    const failing: KeySource = {
      getKeys: () => Promise.reject(new Error('connection refused')),
      getState: () => ({ kind: 'broken', status: 'failing', keyIds: [], keyCount: 0, consecutiveFailures: 1 }),
    };
    const broken = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['ES256'], keySource: failing }],
    });
    const refused = await broken.verifyOutcome(signToken(pair, {}, { kid: 'k1' }));
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as AuthError).details).toMatchObject({ issuer: ISS_A, kid: 'k1' });
  });
});

describe('AccessTokenVerifier hot-path state (one owner per verifier)', () => {
  const pair = generateTestKey('ES256');

  // A key source with no getKeysSync: every verification suspends between parsing and the signature check, so other
  // verifications parse in between.
  function slowSource(key = pair): KeySource {
    const keys = [toVerificationKey(key.publicKey, 'k', 'ES256', undefined)];
    return {
      getKeys: async ({ kid }) => {
        await new Promise((resolve) => setImmediate(resolve));
        return keys.filter((k) => k.kid === kid);
      },
      getState: () => ({ kind: 'test', status: 'fresh', keyIds: ['k'], keyCount: 1, consecutiveFailures: 0 }),
    };
  }

  it('gives two verifiers with different policies for the same issuer their own answer on one header segment', async () => {
    // Same issuer name, same key, same header segment: only the policies differ, so anything one verifier remembered
    // about the segment and leaked to the other would flip an answer.
    const lax = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['ES256'], keys: [{ key: pair.publicKey, kid: 'k' }] }],
      verifiedTokenCacheSize: 0,
    });
    const strictTyp = new AccessTokenVerifier({
      issuers: [
        {
          issuer: ISS_A,
          audience: 'api',
          algorithms: ['ES256'],
          keys: [{ key: pair.publicKey, kid: 'k' }],
          tokenType: 'strict',
        },
      ],
      verifiedTokenCacheSize: 0,
    });
    const otherAlg = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', algorithms: ['ES384'], keys: pairs.ES384.publicKey }],
      verifiedTokenCacheSize: 0,
    });
    const token = signToken(pair, {}, { kid: 'k', typ: 'JWT' });
    for (let round = 0; round < 3; round++) {
      expect((await lax.verify(token)).issuer).toBe(ISS_A);
      expect((await rejection(strictTyp.verify(token))).code).toBe(AuthErrorCode.TYPE_INVALID);
      expect((await rejection(otherAlg.verify(token))).code).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
    }
    // And in the other order, starting from the verifiers that refuse.
    expect((await rejection(otherAlg.verify(token))).code).toBe(AuthErrorCode.ALGORITHM_NOT_ALLOWED);
    expect((await rejection(strictTyp.verify(token))).code).toBe(AuthErrorCode.TYPE_INVALID);
    expect((await lax.verify(token)).issuer).toBe(ISS_A);
  });

  it('keeps each verification on its own bytes while other verifications, of this and another verifier, parse in between', async () => {
    const other = generateTestKey('ES256');
    const a = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', keySource: slowSource() }],
      verifiedTokenCacheSize: 0,
    });
    const b = new AccessTokenVerifier({
      issuers: [{ issuer: ISS_A, audience: 'api', keySource: slowSource(other) }],
      verifiedTokenCacheSize: 0,
    });
    const forA = [0, 1, 2].map((i) => signToken(pair, { sub: `a-${i}`, pad: 'a'.repeat(10 * i) }, { kid: 'k' }));
    const forB = [0, 1, 2].map((i) => signToken(other, { sub: `b-${i}`, pad: 'b'.repeat(300 + i) }, { kid: 'k' }));
    // All six start (and parse) before any signature is checked; a wrong token for a verifier must still fail.
    const results = await Promise.allSettled([
      ...forA.map((t) => a.verify(t)),
      ...forB.map((t) => b.verify(t)),
      a.verify(forB[0]),
      b.verify(forA[0]),
    ]);
    const subjects = results.map((r) => (r.status === 'fulfilled' ? r.value.subject : (r.reason as AuthError).code));
    expect(subjects).toEqual([
      'a-0',
      'a-1',
      'a-2',
      'b-0',
      'b-1',
      'b-2',
      AuthErrorCode.SIGNATURE_INVALID,
      AuthErrorCode.SIGNATURE_INVALID,
    ]);
  });

  it('splits scopes with its own cache: equal lists across verifiers, never the same object', async () => {
    const make = (): AccessTokenVerifier =>
      new AccessTokenVerifier({
        issuers: [{ issuer: ISS_A, audience: 'api', keys: [{ key: pair.publicKey, kid: 'k' }] }],
        verifiedTokenCacheSize: 0,
      });
    const [one, two] = [make(), make()];
    const scope = 'orders:read orders:write';
    const first = await one.verify(signToken(pair, { scope, sub: 'x' }, { kid: 'k' }));
    const again = await one.verify(signToken(pair, { scope, sub: 'y' }, { kid: 'k' }));
    const elsewhere = await two.verify(signToken(pair, { scope, sub: 'z' }, { kid: 'k' }));
    expect(again.scopes).toBe(first.scopes);
    expect(elsewhere.scopes).toEqual(first.scopes);
    expect(elsewhere.scopes).not.toBe(first.scopes);
    expect(Object.isFrozen(elsewhere.scopes)).toBe(true);
  });
});
