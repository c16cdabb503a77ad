import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AuthError } from '../errors/auth.errors';
import { JwksRsaKeySource, type JwksRsaClient, type JwksRsaSigningKey } from './jwks-rsa.key-source';

const pem = (type: 'rsa' | 'ec', options: object = {}): string => {
  const { publicKey } = generateKeyPairSync(type as 'rsa', { modulusLength: 2048, ...options } as never) as unknown as {
    publicKey: KeyObject;
  };
  return publicKey.export({ format: 'pem', type: 'spki' }).toString();
};

const signingKey = (kid: string, publicPem: string, alg?: string): JwksRsaSigningKey => ({
  kid,
  alg,
  getPublicKey: () => publicPem,
});

class NotFound extends Error {
  override name = 'SigningKeyNotFoundError';
}

describe('JwksRsaKeySource', () => {
  const rsa = signingKey('rsa-1', pem('rsa'), 'RS256');
  const ec = signingKey('ec-1', pem('ec', { namedCurve: 'P-256' }));
  const weak = signingKey('weak', pem('rsa', { modulusLength: 1024 }));

  const client = (keys: JwksRsaSigningKey[]): JwksRsaClient => ({
    getSigningKey: async (kid) => {
      const key = keys.find((k) => k.kid === kid);
      if (!key) throw new NotFound('no key');
      return key;
    },
    getSigningKeys: async () => keys,
  });

  it('resolves a kid to a verification key that honours the JWK alg', async () => {
    const source = new JwksRsaKeySource(client([rsa, ec]));
    expect(source.getState().status).toBe('pending');
    const [key] = await source.getKeys({ kid: 'rsa-1', alg: 'RS256' });
    // Imported once: the same key object comes back, so the verifier's token cache can recognise it.
    expect((await source.getKeys({ kid: 'rsa-1', alg: 'RS256' }))[0]).toBe(key);
    expect(key.kid).toBe('rsa-1');
    expect([...key.algorithms]).toEqual(['RS256']);
    await expect(source.getKeys({ kid: 'rsa-1', alg: 'PS256' })).resolves.toEqual([]);
    expect(source.getState()).toMatchObject({ kind: 'jwks-rsa', status: 'fresh', consecutiveFailures: 0 });
  });

  it('answers no key for an unknown kid (not an outage)', async () => {
    await expect(new JwksRsaKeySource(client([rsa])).getKeys({ kid: 'nope', alg: 'RS256' })).resolves.toEqual([]);
  });

  it('without a kid offers every key that fits the alg and the allow-list', async () => {
    const source = new JwksRsaKeySource(client([rsa, ec]), { algorithms: ['ES256'] });
    const keys = await source.getKeys({ kid: undefined, alg: 'ES256' });
    expect(keys.map((k) => k.kid)).toEqual(['ec-1']);
    expect(source.getState().rejectedKeys).toEqual([{ kid: 'rsa-1', reason: expect.any(String) }]);
  });

  it('drops keys the core key policy refuses', async () => {
    const source = new JwksRsaKeySource(client([weak]));
    await expect(source.getKeys({ kid: 'weak', alg: 'RS256' })).resolves.toEqual([]);
    expect(source.getState().rejectedKeys?.[0].reason).toMatch(/below 2048/);
  });

  it('reports an outage as keys_unavailable and a failing state', async () => {
    const down: JwksRsaClient = {
      getSigningKey: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      getSigningKeys: async () => [],
    };
    const source = new JwksRsaKeySource(down, { url: 'https://id.example.com/jwks' });
    const error = await source.getKeys({ kid: 'x', alg: 'RS256' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('keys_unavailable');
    expect(source.getState()).toMatchObject({
      status: 'failing',
      consecutiveFailures: 1,
      lastError: 'connect ECONNREFUSED',
      url: 'https://id.example.com/jwks',
    });
  });
});
