import { AccessTokenVerifier } from '../lib/verification/access-token-verifier';
import { ASYMMETRIC_ALGORITHMS } from '../lib/jws/algorithms';
import { TestIssuer } from './test-issuer';

jest.setTimeout(30_000);

describe('TestIssuer', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.create();
    await issuer.start();
  });

  afterAll(() => issuer.stop());

  it.each(ASYMMETRIC_ALGORITHMS)(
    'mints %s tokens the verifier accepts from static keys, the JWKS and the key source',
    async (alg) => {
      const token = issuer.sign({ sub: alg }, { alg });
      for (const mode of ['static', 'jwks', 'key-source'] as const) {
        const verifier = new AccessTokenVerifier({ issuers: [issuer.issuerOptions(mode)] });
        const principal = await verifier.verify(token);
        expect(principal.header).toEqual({ alg, kid: issuer.kid(alg), typ: 'at+jwt' });
        verifier.close();
      }
    },
  );

  it('mints HS256/384/512 tokens with its secret', async () => {
    const verifier = new AccessTokenVerifier({ issuers: [issuer.issuerOptions('hmac')] });
    for (const alg of ['HS256', 'HS384', 'HS512'] as const)
      await expect(verifier.verify(issuer.sign({}, { alg }))).resolves.toMatchObject({ header: { alg } });
  });

  it('applies claim and header overrides, removing undefined members', async () => {
    const token = issuer.sign(
      { sub: undefined, scope: 'a b', aud: ['x', issuer.audience] },
      { alg: 'ES256', kid: null, header: { typ: undefined, cty: 'x' } },
    );
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()));
    expect(header).toEqual({ alg: 'ES256', cty: 'x' });
    expect(payload).not.toHaveProperty('sub');
    expect(payload).toMatchObject({ iss: issuer.issuerUrl, scope: 'a b', aud: ['x', issuer.audience] });
    expect(payload.exp - payload.iat).toBe(300);
  });

  it('serves JWKS and discovery with hit counters and an outage switch', async () => {
    const before = { ...issuer.hits };
    const discovery = await (await fetch(issuer.discoveryUri)).json();
    expect(discovery).toMatchObject({ issuer: issuer.issuerUrl, jwks_uri: issuer.jwksUri });
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(ASYMMETRIC_ALGORITHMS.length);
    expect(jwks.keys.every((k) => !('d' in k) && k['use'] === 'sig')).toBe(true);
    issuer.setAvailable(false);
    expect((await fetch(issuer.jwksUri)).status).toBe(503);
    issuer.setAvailable(true);
    expect(issuer.hits.jwks - before.jwks).toBe(2);
    expect(issuer.hits.discovery - before.discovery).toBe(1);
  });

  it('rotates keys and can retire the previous ones', async () => {
    const rotating = await TestIssuer.create({ algorithms: ['EdDSA'] });
    const first = rotating.kid('EdDSA');
    const second = await rotating.rotate('EdDSA');
    expect(rotating.kid('EdDSA')).toBe(second);
    expect(rotating.jwks().keys.map((k) => k.kid)).toEqual([first, second]);
    const third = await rotating.rotate('EdDSA', { removePrevious: true });
    expect(rotating.jwks().keys.map((k) => k.kid)).toEqual([third]);
    const source = rotating.keySource();
    await expect(source.getKeys({ kid: first, alg: 'EdDSA' })).resolves.toEqual([]);
    await expect(source.getKeys({ kid: third, alg: 'EdDSA' })).resolves.toHaveLength(1);
  });

  it('refuses to sign with an algorithm it has no key for', async () => {
    const small = await TestIssuer.create({ algorithms: ['ES256'] });
    expect(() => small.sign({}, { alg: 'RS256' })).toThrow(/no RS256 key/);
  });
});
