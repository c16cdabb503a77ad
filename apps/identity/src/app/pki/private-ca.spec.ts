import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AccessTokenVerifier, AuthError } from '@nest-sso/jwt-auth';
import { billingWorkerToken, startIdentity, type TestIdentity } from '../../testing/identity.harness';
import { PKI_FILES } from './private-ca';

interface TokenBody {
  access_token: string;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

describe('private CA and x5c access tokens', () => {
  let identity: TestIdentity;
  const adminToken = 'admin-token-for-pki-tests';
  const file = (name: keyof typeof PKI_FILES) => join(identity.dataDir, 'pki', PKI_FILES[name]);

  beforeAll(async () => {
    identity = await startIdentity({ adminToken, x509Clients: ['billing-worker'] });
  });
  afterAll(() => identity.close());

  async function x509Token(): Promise<string> {
    const response = await billingWorkerToken(identity, { scope: 'inventory:read' });
    expect(response.status).toBe(200);
    return ((await response.json()) as TokenBody).access_token;
  }

  function verifierTrustingRootOnly(crls = false): AccessTokenVerifier {
    return new AccessTokenVerifier({
      now: () => identity.clock.now(),
      issuers: [
        {
          issuer: identity.app.issuer,
          audience: 'inventory-service',
          trust: {
            anchors: [{ path: file('rootCert') }],
            ...(crls
              ? {
                  crls: [{ path: file('rootCrl') }, { path: file('intermediateCrl') }],
                  revocation: 'require' as const,
                  crlCheckIntervalMs: 0,
                }
              : {}),
          },
        },
      ],
    });
  }

  it('creates root, intermediate and signing certificate on first start, private keys 0600', () => {
    for (const key of ['rootKey', 'intermediateKey', 'signingKey'] as const) {
      expect(statSync(file(key)).mode & 0o777).toBe(0o600);
      expect(readFileSync(file(key), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    }
    for (const cert of ['rootCert', 'intermediateCert', 'signingCert'] as const)
      expect(readFileSync(file(cert), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });

  it('issues tokens with x5c and x5t#S256 that a verifier trusting only the root CA accepts', async () => {
    const token = await x509Token();
    const header = headerOf(token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(header['x5c']).toHaveLength(2);
    expect(typeof header['x5t#S256']).toBe('string');
    expect(header['kid']).toBeUndefined();
    const principal = await verifierTrustingRootOnly(true).verify(token);
    expect(principal.subject).toBe('billing-worker');
  });

  it('serves the root certificate and both CRLs', async () => {
    const root = await fetch(`${identity.app.url}/pki/root-ca.pem`);
    expect(await root.text()).toBe(readFileSync(file('rootCert'), 'utf8'));
    for (const path of ['root-ca.crl', 'intermediate-ca.crl']) {
      const crl = await fetch(`${identity.app.url}/pki/${path}`);
      expect(crl.status).toBe(200);
      expect(crl.headers.get('content-type')).toMatch(/^application\/pkix-crl/);
      expect(Buffer.from(await crl.arrayBuffer())[0]).toBe(0x30);
    }
  });

  it('revokes the signing certificate through the admin endpoint: old tokens refused, new ones accepted', async () => {
    const verifier = verifierTrustingRootOnly(true);
    const before = await x509Token();
    await expect(verifier.verify(before)).resolves.toBeDefined();
    const refused = await fetch(`${identity.app.url}/admin/revoke-signing-cert`, { method: 'POST' });
    expect(refused.status).toBe(401);
    const revoke = await fetch(`${identity.app.url}/admin/revoke-signing-cert`, {
      method: 'POST',
      headers: { 'x-admin-token': adminToken },
    });
    expect(revoke.status).toBe(200);
    const { revoked, current } = (await revoke.json()) as { revoked: string; current: string };
    expect(revoked).not.toBe(current);
    const after = await x509Token();
    expect(headerOf(after)['x5t#S256']).not.toBe(headerOf(before)['x5t#S256']);
    await expect(verifier.verify(after)).resolves.toBeDefined();
    const error = await verifier.verify(before).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('certificate_invalid');
    expect((error as AuthError).message).toMatch(/revoked/);
  });

  it('keeps its CA across restarts', async () => {
    const rootBefore = readFileSync(file('rootCert'), 'utf8');
    const signingBefore = readFileSync(file('signingCert'), 'utf8');
    await identity.close({ keepData: true });
    identity = await startIdentity(
      { adminToken, dataDir: identity.dataDir, x509Clients: ['billing-worker'] },
      identity.clock,
    );
    expect(readFileSync(file('rootCert'), 'utf8')).toBe(rootBefore);
    expect(readFileSync(file('signingCert'), 'utf8')).toBe(signingBefore);
    await expect(verifierTrustingRootOnly(true).verify(await x509Token())).resolves.toBeDefined();
  });

  it.each([
    [['orders-api'], false],
    [['inventory-service'], true],
  ])('with X509_AUDIENCES=%s, signs a token for inventory-service with x5c: %s', async (audiences, expected) => {
    const other = await startIdentity({ adminToken, x509Audiences: audiences });
    try {
      const response = await billingWorkerToken(other, { scope: 'inventory:read' });
      const header = headerOf(((await response.json()) as TokenBody).access_token);
      expect(header['x5c'] !== undefined).toBe(expected);
      expect(header['kid'] === undefined).toBe(expected);
    } finally {
      await other.close();
    }
  });
});
