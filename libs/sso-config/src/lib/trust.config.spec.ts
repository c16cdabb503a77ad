import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { authOptionsFromEnv } from './auth.config';
import { ServiceConfigError } from './service-config.error';

x509.cryptoProvider.set(webcrypto as never);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ServiceConfigError');
}

describe('authOptionsFromEnv with an X.509 trust store', () => {
  let dir: string;
  let rootPem: string;
  let leafPem: string;
  const base = { AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'orders-api' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sso-config-x509-'));
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as never;
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=Config Root',
      keys,
      signingAlgorithm: EC,
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const leaf = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=leaf', keys, signingAlgorithm: EC });
    rootPem = join(dir, 'root.pem');
    leafPem = join(dir, 'leaf.pem');
    writeFileSync(rootPem, root.toString('pem'));
    writeFileSync(leafPem, leaf.toString('pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the trust store alone (no discovery, no JWKS) when AUTH_JWKS_URI is not set', () => {
    const options = authOptionsFromEnv({
      ...base,
      AUTH_TRUST_ANCHORS: rootPem,
      AUTH_X509_LEAF_NAME: 'tokens.example.com',
    });
    expect(options.trust).toEqual({ anchors: [{ path: rootPem }], leafName: 'tokens.example.com' });
    expect(options).not.toHaveProperty('discovery');
    expect(options).not.toHaveProperty('jwksUri');
  });

  it('accepts both ways when AUTH_JWKS_URI is set too', () => {
    const options = authOptionsFromEnv({
      ...base,
      AUTH_TRUST_ANCHORS: rootPem,
      AUTH_JWKS_URI: 'https://id.example.com/jwks',
    });
    expect(options.jwksUri).toBe('https://id.example.com/jwks');
    expect(options.trust).toEqual({ anchors: [{ path: rootPem }] });
  });

  it('names every bad X.509 variable at once', () => {
    expect(
      problemsOf(() =>
        authOptionsFromEnv({
          ...base,
          AUTH_TRUST_ANCHORS: join(dir, 'missing.pem'),
          AUTH_CRLS: `${join(dir, 'missing.crl')}`,
          AUTH_REVOCATION: 'sometimes',
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^AUTH_TRUST_ANCHORS: cannot read/),
      expect.stringMatching(/^AUTH_CRLS: cannot read/),
      expect.stringMatching(/^AUTH_REVOCATION: must be one of require, if-present, off/),
    ]);
    expect(problemsOf(() => authOptionsFromEnv({ ...base, AUTH_CRLS: rootPem, AUTH_X509_LEAF_NAME: 'x' }))).toEqual([
      expect.stringMatching(/^AUTH_CRLS: needs AUTH_TRUST_ANCHORS/),
      expect.stringMatching(/^AUTH_X509_LEAF_NAME: needs AUTH_TRUST_ANCHORS/),
    ]);
    expect(
      problemsOf(() => authOptionsFromEnv({ ...base, AUTH_TRUST_ANCHORS: rootPem, AUTH_REVOCATION: 'require' })),
    ).toEqual([expect.stringMatching(/^AUTH_REVOCATION: "require" refuses every token without CRLs/)]);
  });

  it("reports the package's boot check of the anchors (a certificate that is not a CA)", () => {
    const problems = problemsOf(() => authOptionsFromEnv({ ...base, AUTH_TRUST_ANCHORS: leafPem }));
    expect(problems).toEqual([expect.stringMatching(/trust\.anchors.*not a CA/)]);
  });
});
