import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { basicAuth, makeTempDir, postForm, startIdentity, TestIdentity } from '../../testing/identity.harness';
import { hashSecret } from '../crypto/secret-hash';
import { SIGNING_ALGORITHMS, SigningAlgorithm } from '../keys/signing-algorithm';

const EXPECTED_JWK: Record<SigningAlgorithm, Record<string, string>> = {
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
const SIGNATURE_BYTES: Record<SigningAlgorithm, number> = { RS256: 256, ES256: 64, EdDSA: 64 };

describe('access tokens for each signing algorithm', () => {
  let identity: TestIdentity;
  const seedDir = makeTempDir('identity-seed-');

  beforeAll(async () => {
    const clients = await Promise.all(
      SIGNING_ALGORITHMS.map(async (alg) => ({
        client_id: `worker-${alg.toLowerCase()}`,
        type: 'confidential',
        client_secret_hash: await hashSecret(`secret-${alg}`),
        alg,
        grant_types: ['client_credentials'],
        scopes: ['things:read'],
        audiences: ['things-api'],
      })),
    );
    const seedFile = join(seedDir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify({ users: [], clients }));
    identity = await startIdentity({ seedFile });
  });

  afterAll(() => identity.close());

  it.each(SIGNING_ALGORITHMS)('signs with the %s key chosen by the client registration', async (alg) => {
    const response = await postForm(
      `${identity.app.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth(`worker-${alg.toLowerCase()}`, `secret-${alg}`) },
    );
    expect(response.status).toBe(200);
    const { access_token: token } = (await response.json()) as { access_token: string };
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg, typ: 'at+jwt', kid: expect.any(String) });
    expect(Buffer.from(token.split('.')[2], 'base64url')).toHaveLength(SIGNATURE_BYTES[alg]);

    const jwks = (await (await fetch(`${identity.app.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, string>[];
    };
    const jwk = jwks.keys.find((key) => key.kid === header.kid);
    expect(jwk).toMatchObject({ alg, use: 'sig', ...EXPECTED_JWK[alg] });

    const { payload } = await jwtVerify(
      token,
      createRemoteJWKSet(new URL(`${identity.app.url}/.well-known/jwks.json`)),
      {
        algorithms: [alg],
        issuer: identity.app.issuer,
        audience: 'things-api',
        typ: 'at+jwt',
        currentDate: new Date(identity.clock.now()),
      },
    );
    expect(payload).toMatchObject({ sub: `worker-${alg.toLowerCase()}`, scope: 'things:read', aud: 'things-api' });
  });

  it('produces signatures that fail verification once tampered with', async () => {
    const response = await postForm(
      `${identity.app.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      { authorization: basicAuth('worker-es256', 'secret-ES256') },
    );
    const { access_token: token } = (await response.json()) as { access_token: string };
    const [header, payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'things:write' }),
    ).toString('base64url');
    await expect(
      jwtVerify(
        `${header}.${forgedPayload}.${signature}`,
        createRemoteJWKSet(new URL(`${identity.app.url}/.well-known/jwks.json`)),
        {
          currentDate: new Date(identity.clock.now()),
        },
      ),
    ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
