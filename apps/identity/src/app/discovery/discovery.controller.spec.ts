import { fetchJwks, startIdentity, TestIdentity } from '../../testing/identity.harness';
import { SIGNING_ALGORITHMS } from '../keys/signing-algorithm';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const ALLOWED_MEMBERS: Record<string, string[]> = {
  RSA: ['kty', 'kid', 'use', 'alg', 'n', 'e'],
  EC: ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y'],
  OKP: ['kty', 'kid', 'use', 'alg', 'crv', 'x'],
};

function expectPublicOnly(keys: Record<string, unknown>[]): void {
  for (const key of keys) {
    for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    expect(Object.keys(key).sort()).toEqual([...ALLOWED_MEMBERS[key.kty as string]].sort());
  }
}

describe('discovery and JWKS', () => {
  let identity: TestIdentity;

  beforeAll(async () => {
    identity = await startIdentity();
  });

  afterAll(() => identity.close());

  it('publishes authorization server metadata naming the running issuer', async () => {
    const response = await fetch(`${identity.app.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    const base = identity.app.url;
    expect(identity.app.issuer).toBe(base);
    expect(metadata).toMatchObject({
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/oauth/token`,
      authorization_endpoint: `${base}/authorize`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']),
      token_endpoint_auth_methods_supported: expect.arrayContaining([
        'client_secret_basic',
        'client_secret_post',
        'none',
      ]),
    });
    expect(metadata.code_challenge_methods_supported).not.toContain('plain');
  });

  it('publishes a current and a next key per algorithm with the RFC 7517 public shape', async () => {
    const { keys } = await fetchJwks(identity);
    expect(keys).toHaveLength(SIGNING_ALGORITHMS.length * 2);
    expect(new Set(keys.map((key) => key.kid)).size).toBe(keys.length);
    for (const alg of SIGNING_ALGORITHMS) expect(keys.filter((key) => key.alg === alg)).toHaveLength(2);
    for (const key of keys) {
      expect(key.use).toBe('sig');
      expect(typeof key.kid).toBe('string');
      if (key.alg === 'RS256') expect(key).toMatchObject({ kty: 'RSA', e: 'AQAB' });
      if (key.alg === 'ES256') expect(key).toMatchObject({ kty: 'EC', crv: 'P-256' });
      if (key.alg === 'EdDSA') expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
      if (key.kty === 'RSA') expect(Buffer.from(key.n as string, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    }
    expectPublicOnly(keys);
  });

  it('never publishes a private member, for every algorithm and across rotations', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 3; round += 1) {
      const { keys } = await fetchJwks(identity);
      expectPublicOnly(keys);
      keys.forEach((key) => seen.add(key.kid as string));
      for (const alg of SIGNING_ALGORITHMS) {
        expect(keys.some((key) => key.alg === alg)).toBe(true);
      }
      await identity.app.rotateKeys();
    }
    const { keys } = await fetchJwks(identity);
    expectPublicOnly(keys);
    // Three rotations: every round introduced a fresh next key per algorithm.
    expect(seen.size).toBeGreaterThanOrEqual(SIGNING_ALGORITHMS.length * 4);
    expect(keys.filter((key) => key.alg === 'EdDSA').length).toBeGreaterThan(2);
  });

  it('answers 404 for unknown well-known documents', async () => {
    const response = await fetch(`${identity.app.url}/.well-known/oauth-authorization-server-nope`);
    expect(response.status).toBe(404);
  });
});
