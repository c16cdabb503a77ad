import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, JwtAuthConfigError } from '../../errors/auth.errors';
import { AccessTokenVerifier } from '../../verification/access-token-verifier';
import type { IssuerOptions } from '../../verification/verifier-options.interface';
import { listenOnLoopback } from '../../__fixtures__/jwks-server';
import {
  CA_USAGE,
  KU,
  mint,
  mintCrl,
  pkiKey,
  signX509Token,
  unknownExtension,
  type Minted,
  type PkiAlg,
  type PkiKey,
} from '../../__fixtures__/pki';
import { thumbprints } from './certificate';
import type { X509TrustOptions } from './x509-trust.options';

const ISS = 'https://pki-issuer.test';
const DAY = 86_400_000;
const ago = (ms: number): Date => new Date(Date.now() - ms);
const ahead = (ms: number): Date => new Date(Date.now() + ms);

function verifierFor(trust: X509TrustOptions, extra: Partial<IssuerOptions> = {}): AccessTokenVerifier {
  return new AccessTokenVerifier({ issuers: [{ issuer: ISS, audience: 'api', trust, ...extra }] });
}

async function refusal(verifier: AccessTokenVerifier, token: string): Promise<AuthError> {
  try {
    await verifier.verify(token);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('the token was accepted');
}

async function expectRefused(
  verifier: AccessTokenVerifier,
  token: string,
  message?: RegExp,
  code = 'certificate_invalid',
) {
  const error = await refusal(verifier, token);
  expect(error.code).toBe(code);
  expect(error.status).toBe(401);
  if (message) expect(error.message).toMatch(message);
}

async function expectAccepted(verifier: AccessTokenVerifier, token: string): Promise<void> {
  const principal = await verifier.verify(token);
  expect(principal.subject).toBe('user-1');
  expect(principal.issuer).toBe(ISS);
}

const x5c = (...certs: Minted[]): string[] => certs.map((c) => c.b64);

describe.each<PkiAlg>(['ES256', 'RS256'])('X509TrustStore with %s certificates', (alg) => {
  let rootKey: PkiKey, interKey: PkiKey, leafKey: PkiKey, evilKey: PkiKey;
  let root: Minted, inter: Minted, leaf: Minted;
  let trust: X509TrustOptions;
  const token = (signer: PkiKey, header: Record<string, unknown>, claims?: Record<string, unknown>) =>
    signX509Token(signer, header, claims, ISS);

  beforeAll(async () => {
    [rootKey, interKey, leafKey, evilKey] = await Promise.all([pkiKey(alg), pkiKey(alg), pkiKey(alg), pkiKey(alg)]);
    root = await mint({ subject: 'CN=Test Root', key: rootKey, ca: true });
    inter = await mint({ subject: 'CN=Test Intermediate', key: interKey, issuer: root, ca: true, pathLen: 0 });
    leaf = await mint({ subject: 'CN=tokens.pki.test', key: leafKey, issuer: inter, dns: ['tokens.pki.test'] });
    trust = { anchors: [root.pem] };
  });

  describe('path validation', () => {
    it('accepts a valid chain, and only with the leaf key signing the token', async () => {
      const verifier = verifierFor(trust);
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(leaf, inter) }));
      await expectRefused(verifier, token(interKey, { x5c: x5c(leaf, inter) }), /signature/, 'signature_invalid');
    });

    it('accepts the chain with the root appended, but not an anchor presented as the leaf', async () => {
      const verifier = verifierFor(trust);
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(leaf, inter, root) }));
      await expectRefused(verifier, token(rootKey, { x5c: x5c(root) }), /anchor/);
    });

    it('refuses a self-signed leaf', async () => {
      const self = await mint({ subject: 'CN=tokens.pki.test', key: leafKey });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(self) }), /trust anchor/);
    });

    it('refuses a chain to an untrusted root, whether the root is sent or not', async () => {
      const otherRoot = await mint({ subject: 'CN=Other Root', key: evilKey, ca: true });
      const otherInter = await mint({ subject: 'CN=Test Intermediate', key: interKey, issuer: otherRoot, ca: true });
      const otherLeaf = await mint({ subject: 'CN=tokens.pki.test', key: leafKey, issuer: otherInter });
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(otherLeaf, otherInter, otherRoot) }), /trust anchor/);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(otherLeaf, otherInter) }), /trust anchor/);
    });

    it("refuses an untrusted root that carries the trusted root's name", async () => {
      const impostor = await mint({ subject: 'CN=Test Root', key: evilKey, ca: true });
      const fakeInter = await mint({ subject: 'CN=Test Intermediate', key: interKey, issuer: impostor, ca: true });
      const fakeLeaf = await mint({ subject: 'CN=tokens.pki.test', key: leafKey, issuer: fakeInter });
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(fakeLeaf, fakeInter, impostor) }));
      await expectRefused(verifier, token(leafKey, { x5c: x5c(fakeLeaf, fakeInter) }));
    });

    it('refuses a leaf without digitalSignature, and a CA certificate as the leaf', async () => {
      const noSign = await mint({ subject: 'CN=l', key: leafKey, issuer: inter, keyUsage: KU.keyEncipherment });
      const caLeaf = await mint({ subject: 'CN=l', key: leafKey, issuer: inter, ca: true });
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(noSign, inter) }), /digitalSignature/);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(caLeaf, inter) }), /is a CA certificate/);
    });

    it.each([
      ['cA=false', { ca: false as const }, /not a CA/],
      ['no basicConstraints', { ca: 'absent' as const }, /no basicConstraints/],
      ['no keyCertSign', { ca: true as const, keyUsage: KU.digitalSignature | KU.cRLSign }, /keyCertSign/],
    ])('refuses an intermediate that is not a CA (%s)', async (_name, flags, message) => {
      const notCa = await mint({ subject: 'CN=Bad Intermediate', key: interKey, issuer: root, ...flags });
      const below = await mint({ subject: 'CN=l', key: leafKey, issuer: notCa });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(below, notCa) }), message);
    });

    it("enforces the anchor's pathLenConstraint (with a valid control)", async () => {
      const tight = await mint({ subject: 'CN=Tight Root', key: rootKey, ca: true, pathLen: 0 });
      const loose = await mint({ subject: 'CN=Loose Root', key: rootKey, ca: true, pathLen: 1 });
      const underTight = await mint({ subject: 'CN=I1', key: interKey, issuer: tight, ca: true });
      const underLoose = await mint({ subject: 'CN=I2', key: interKey, issuer: loose, ca: true });
      const leafTight = await mint({ subject: 'CN=l', key: leafKey, issuer: underTight });
      const leafLoose = await mint({ subject: 'CN=l', key: leafKey, issuer: underLoose });
      const verifier = verifierFor({ anchors: [tight.pem, loose.pem] });
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leafTight, underTight) }), /pathLenConstraint/);
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(leafLoose, underLoose) }));
    });

    it("enforces an intermediate's pathLenConstraint (with a valid control)", async () => {
      const i0 = await mint({ subject: 'CN=I pathLen 0', key: interKey, issuer: root, ca: true, pathLen: 0 });
      const i1 = await mint({ subject: 'CN=I pathLen 1', key: interKey, issuer: root, ca: true, pathLen: 1 });
      const sub0 = await mint({ subject: 'CN=Sub 0', key: evilKey, issuer: i0, ca: true });
      const sub1 = await mint({ subject: 'CN=Sub 1', key: evilKey, issuer: i1, ca: true });
      const l0 = await mint({ subject: 'CN=l', key: leafKey, issuer: sub0 });
      const l1 = await mint({ subject: 'CN=l', key: leafKey, issuer: sub1 });
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(l0, sub0, i0) }), /pathLenConstraint/);
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(l1, sub1, i1) }));
    });

    it.each([
      ['leaf expired', 'leaf', { notBefore: ago(10 * DAY), notAfter: ago(DAY) }, /expired/],
      ['leaf not yet valid', 'leaf', { notBefore: ahead(DAY), notAfter: ahead(10 * DAY) }, /not yet valid/],
      ['intermediate expired', 'inter', { notBefore: ago(10 * DAY), notAfter: ago(DAY) }, /expired/],
      ['intermediate not yet valid', 'inter', { notBefore: ahead(DAY), notAfter: ahead(10 * DAY) }, /not yet valid/],
    ])('refuses a chain whose %s', async (_name, which, dates, message) => {
      const i =
        which === 'inter' ? await mint({ subject: 'CN=I', key: interKey, issuer: root, ca: true, ...dates }) : inter;
      const l = await mint({ subject: 'CN=l', key: leafKey, issuer: i, ...(which === 'leaf' ? dates : {}) });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(l, i) }), message);
    });

    it('refuses an unknown critical extension in the leaf or the intermediate, and accepts a non-critical one', async () => {
      const verifier = verifierFor(trust);
      for (const critical of [true, false]) {
        const i = await mint({
          subject: 'CN=I',
          key: interKey,
          issuer: root,
          ca: true,
          extensions: [unknownExtension(critical)],
        });
        const l = await mint({ subject: 'CN=l', key: leafKey, issuer: i });
        const l2 = await mint({
          subject: 'CN=l',
          key: leafKey,
          issuer: inter,
          extensions: [unknownExtension(critical)],
        });
        if (critical) {
          await expectRefused(verifier, token(leafKey, { x5c: x5c(l, i) }), /critical extension/);
          await expectRefused(verifier, token(leafKey, { x5c: x5c(l2, inter) }), /critical extension/);
        } else {
          await expectAccepted(verifier, token(leafKey, { x5c: x5c(l, i) }));
          await expectAccepted(verifier, token(leafKey, { x5c: x5c(l2, inter) }));
        }
      }
    });

    it('refuses an intermediate signed with SHA-1', async () => {
      const sha1 = await mint({ subject: 'CN=I', key: interKey, issuer: root, ca: true, hash: 'SHA-1' });
      const l = await mint({ subject: 'CN=l', key: leafKey, issuer: sha1 });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(l, sha1) }), /refused algorithm/);
    });

    it('refuses an RSA-1024 leaf', async () => {
      const weakKey = await pkiKey('RS256', 1024);
      const weak = await mint({ subject: 'CN=l', key: weakKey, issuer: inter });
      await expectRefused(verifierFor(trust), token(weakKey, { x5c: x5c(weak, inter) }), /1024 bits/);
    });

    it('refuses a chain in the wrong order, and duplicates', async () => {
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(inter, leaf) }));
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, leaf, inter) }), /repeats/);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter, inter) }), /repeats/);
    });

    it('refuses an over-long chain', async () => {
      const verifier = verifierFor({ ...trust, maxChainLength: 2 });
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(leaf, inter) }));
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter, root) }), /more than 2/);
    });

    it('refuses a certificate above maxCertificateBytes and x5c that is not an array of canonical base64', async () => {
      await expectRefused(
        verifierFor({ ...trust, maxCertificateBytes: 256 }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
        /size limit/,
        'token_malformed',
      );
      const verifier = verifierFor(trust);
      await expectRefused(verifier, token(leafKey, { x5c: leaf.b64 }), /array/, 'token_malformed');
      await expectRefused(
        verifier,
        token(leafKey, { x5c: [leaf.der.toString('base64url'), inter.b64] }),
        undefined,
        'token_malformed',
      );
    });

    it('refuses an issuer name mismatch even with a matching key id', async () => {
      const renamed = await mint({ subject: 'CN=l', key: leafKey, issuer: inter, issuerName: 'CN=Other Intermediate' });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(renamed, inter) }));
    });

    it('refuses a certificate signed by a wrong key', async () => {
      const forged = await mint({ subject: 'CN=l', key: leafKey, issuer: inter, signer: evilKey });
      await expectRefused(verifierFor(trust), token(leafKey, { x5c: x5c(forged, inter) }), /invalid signature/);
    });

    it('checks the configured leaf name and extended key usage', async () => {
      const verifier = verifierFor({
        ...trust,
        leafName: 'tokens.pki.test',
        extendedKeyUsage: ['1.3.6.1.4.1.55555.9'],
      });
      const withEku = await mint({
        subject: 'CN=x',
        key: leafKey,
        issuer: inter,
        dns: ['tokens.pki.test'],
        eku: ['1.3.6.1.4.1.55555.9'],
      });
      const otherName = await mint({
        subject: 'CN=x',
        key: leafKey,
        issuer: inter,
        dns: ['evil.test'],
        eku: ['1.3.6.1.4.1.55555.9'],
      });
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(withEku, inter) }));
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter) }), /extended key usage/);
      await expectRefused(verifier, token(leafKey, { x5c: x5c(otherName, inter) }), /leaf names/);
    });

    it("refuses a key that does not fit alg, and applies the issuer's allow-list", async () => {
      const other: PkiAlg = alg === 'ES256' ? 'RS256' : 'ES256';
      const verifier = verifierFor(trust, { algorithms: [other] });
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter) }), /not allowed/, 'algorithm_not_allowed');
    });
  });

  describe('revocation', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'x509-crl-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: string | Buffer): { path: string } => {
      const path = join(dir, `${alg}-${name}`);
      writeFileSync(path, content);
      return { path };
    };

    it('refuses a revoked leaf (PEM CRL) and accepts it under a CRL that does not list it (DER CRL)', async () => {
      const revoking = await mintCrl({ issuer: inter, revoked: [leaf] });
      const clean = await mintCrl({ issuer: inter });
      await expectRefused(
        verifierFor({ ...trust, crls: [file('revoking.pem', revoking.pem)] }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
        /revoked/,
      );
      await expectAccepted(
        verifierFor({ ...trust, crls: [file('clean.der', clean.der)] }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
      );
    });

    it('refuses under an expired CRL', async () => {
      const expired = await mintCrl({ issuer: inter, thisUpdate: ago(3 * DAY), nextUpdate: ago(DAY) });
      const crls = [file('expired.pem', expired.pem)];
      await expectRefused(
        verifierFor({ ...trust, crls, revocation: 'if-present' }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
        /no current CRL/,
      );
    });

    it('does not count a CRL with a bad signature', async () => {
      const forged = await mintCrl({ issuer: inter, signer: evilKey });
      const rootCrl = await mintCrl({ issuer: root });
      const crls = [file('forged.pem', forged.pem), file('root.pem', rootCrl.pem)];
      await expectRefused(
        verifierFor({ ...trust, crls, revocation: 'require' }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
        /no current CRL/,
      );
      // The same setup with an authentic CRL of the intermediate passes.
      const good = await mintCrl({ issuer: inter });
      const goodCrls = [file('good.pem', good.pem), file('root2.pem', rootCrl.pem)];
      await expectAccepted(
        verifierFor({ ...trust, crls: goodCrls, revocation: 'require' }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
      );
    });

    it('does not count a CRL signed by a CA without cRLSign', async () => {
      const noCrlSign = await mint({
        subject: 'CN=I no cRLSign',
        key: interKey,
        issuer: root,
        ca: true,
        keyUsage: KU.keyCertSign,
      });
      const l = await mint({ subject: 'CN=l', key: leafKey, issuer: noCrlSign });
      const crl = await mintCrl({ issuer: noCrlSign });
      const rootCrl = await mintCrl({ issuer: root });
      const crls = [file('nocrlsign.pem', crl.pem), file('root3.pem', rootCrl.pem)];
      await expectRefused(
        verifierFor({ ...trust, crls, revocation: 'require' }),
        token(leafKey, { x5c: x5c(l, noCrlSign) }),
        /no current CRL/,
      );
    });

    it('with require, refuses a path that no CRL covers', async () => {
      await expectRefused(
        verifierFor({ ...trust, revocation: 'require' }),
        token(leafKey, { x5c: x5c(leaf, inter) }),
        /no current CRL/,
      );
    });

    it('refuses to boot with a CRL of an anchor that the anchor did not sign', async () => {
      const forged = await mintCrl({ issuer: root, signer: evilKey });
      expect(() => verifierFor({ ...trust, crls: [file('forged-root.pem', forged.pem)] })).toThrow(
        /no configured CA signed this CRL/,
      );
    });

    it('picks up a CRL file replaced at run time, also for a token verified before', async () => {
      const crls = [file('live.pem', (await mintCrl({ issuer: inter })).pem)];
      const verifier = verifierFor({ ...trust, crls, crlCheckIntervalMs: 0 });
      const t = token(leafKey, { x5c: x5c(leaf, inter) });
      await expectAccepted(verifier, t);
      writeFileSync(crls[0].path, (await mintCrl({ issuer: inter, revoked: [leaf] })).pem);
      await expectRefused(verifier, t, /revoked/);
    });

    it('fetches a CRL from a URL through the bounded fetcher', async () => {
      const revoking = await mintCrl({ issuer: inter, revoked: [leaf] });
      let hits = 0;
      const server = await listenOnLoopback((_req, res) => {
        hits += 1;
        res.writeHead(200, { 'content-type': 'application/pkix-crl' });
        res.end(revoking.der);
      });
      try {
        const verifier = verifierFor(
          { ...trust, crls: [{ url: `${server.origin}/inter.crl` }] },
          { allowInsecureHttp: true },
        );
        await verifier.warmUp();
        expect(hits).toBe(1);
        await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter) }), /revoked/);
        verifier.close();
      } finally {
        await server.close();
      }
    });
  });

  describe('issuer binding, thumbprints and embedded jwk', () => {
    it('never lets a chain to issuer B validate a token of issuer A', async () => {
      const rootB = await mint({ subject: 'CN=Root B', key: evilKey, ca: true });
      const interB = await mint({ subject: 'CN=Intermediate B', key: interKey, issuer: rootB, ca: true });
      const leafB = await mint({ subject: 'CN=b', key: leafKey, issuer: interB });
      const verifier = new AccessTokenVerifier({
        issuers: [
          { issuer: 'https://a.test', audience: 'api', trust: { anchors: [root.pem] } },
          { issuer: 'https://b.test', audience: 'api', trust: { anchors: [rootB.pem] } },
        ],
      });
      const chainB = { x5c: x5c(leafB, interB) };
      await expect(verifier.verify(signX509Token(leafKey, chainB, {}, 'https://b.test'))).resolves.toBeDefined();
      await expect(verifier.verify(signX509Token(leafKey, chainB, {}, 'https://a.test'))).rejects.toMatchObject({
        code: 'certificate_invalid',
      });
    });

    it('selects deployed certificates by x5t and x5t#S256, and refuses unknown or mismatched thumbprints', async () => {
      const verifier = verifierFor({ anchors: [root.pem], signingCertificates: [leaf.pem, inter.pem] });
      const prints = thumbprints(leaf.der);
      await expectAccepted(verifier, token(leafKey, { 'x5t#S256': prints.sha256 }));
      await expectAccepted(verifier, token(leafKey, { x5t: prints.sha1 }));
      const other = thumbprints(inter.der);
      await expectRefused(verifier, token(leafKey, { 'x5t#S256': other.sha256 }), undefined, 'key_not_found');
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter), 'x5t#S256': other.sha256 }), /thumbprint/);
      await expectAccepted(verifier, token(leafKey, { x5c: x5c(leaf, inter), 'x5t#S256': prints.sha256 }));
      await expectRefused(
        verifier,
        token(leafKey, { x5t: other.sha1, 'x5t#S256': prints.sha256 }),
        /different certificates/,
      );
    });

    it('without anchors, accepts a deployed certificate by thumbprint and applies the leaf rules at boot', async () => {
      const verifier = verifierFor({ signingCertificates: [leaf.pem], leafName: 'tokens.pki.test' });
      await expectAccepted(verifier, token(leafKey, { 'x5t#S256': thumbprints(leaf.der).sha256 }));
      await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter) }), /trust anchor/);
      expect(() => verifierFor({ signingCertificates: [leaf.pem], leafName: 'other.test' })).toThrow(/leaf names/);
    });

    it('refuses to boot with an expired deployed certificate or one that does not chain to the anchors', async () => {
      const expired = await mint({
        subject: 'CN=old',
        key: leafKey,
        issuer: inter,
        notBefore: ago(10 * DAY),
        notAfter: ago(DAY),
      });
      expect(() => verifierFor({ anchors: [root.pem], signingCertificates: [expired.pem, inter.pem] })).toThrow(
        /expired/,
      );
      const stray = await mint({ subject: 'CN=stray', key: leafKey });
      expect(() => verifierFor({ anchors: [root.pem], signingCertificates: [stray.pem] })).toThrow(/does not chain/);
    });

    it('trusts an embedded jwk only when the validated leaf holds exactly that key', async () => {
      const verifier = verifierFor(trust);
      const jwk = leafKey.publicKey.export({ format: 'jwk' });
      const otherJwk = evilKey.publicKey.export({ format: 'jwk' });
      await expectAccepted(verifier, token(leafKey, { jwk, x5c: x5c(leaf, inter) }));
      await expectAccepted(verifier, token(leafKey, { jwk: { ...jwk, x5c: x5c(leaf, inter) } }));
      await expectRefused(
        verifier,
        token(evilKey, { jwk: otherJwk, x5c: x5c(leaf, inter) }),
        /not the signing certificate/,
      );
      await expectRefused(verifier, token(leafKey, { jwk }), /only together with a certificate chain/);
      // A CA vouches only for the certificates it issued, not for a key that merely sits next to it.
      await expectRefused(verifier, token(evilKey, { jwk: otherJwk, x5c: x5c(inter) }), /CA/);
    });
  });

  describe('without a trust store', () => {
    it('refuses x5c and jwk and fetches nothing', async () => {
      let hits = 0;
      const server = await listenOnLoopback((_req, res) => {
        hits += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [] }));
      });
      try {
        const verifier = new AccessTokenVerifier({
          issuers: [{ issuer: ISS, audience: 'api', jwksUri: `${server.origin}/jwks`, allowInsecureHttp: true }],
        });
        await expectRefused(verifier, token(leafKey, { x5c: x5c(leaf, inter) }), /trust store/, 'token_unsupported');
        await expectRefused(
          verifier,
          token(leafKey, { jwk: leafKey.publicKey.export({ format: 'jwk' }) }),
          /trust store/,
          'token_unsupported',
        );
        expect(hits).toBe(0);
        verifier.close();
      } finally {
        await server.close();
      }
    });

    it('with a trust store only, makes no outbound call, not even for a kid token', async () => {
      let hits = 0;
      const server = await listenOnLoopback((_req, res) => {
        hits += 1;
        res.end();
      });
      try {
        const verifier = new AccessTokenVerifier({
          issuers: [{ issuer: server.origin, audience: 'api', trust, allowInsecureHttp: true }],
        });
        await expect(verifier.verify(signX509Token(leafKey, { kid: 'k1' }, {}, server.origin))).rejects.toMatchObject({
          code: 'key_not_found',
        });
        await expect(
          verifier.verify(signX509Token(leafKey, { x5c: x5c(leaf, inter) }, {}, server.origin)),
        ).resolves.toBeDefined();
        await verifier.warmUp();
        expect(hits).toBe(0);
      } finally {
        await server.close();
      }
    });
  });

  it('refuses an unknown trust option by name, with a did-you-mean', () => {
    expect(() => verifierFor({ anchor: [root.pem] } as unknown as X509TrustOptions)).toThrow(
      /issuers\[0\]\.trust\.anchor.*did you mean anchors/,
    );
  });

  it('refuses to boot with an anchor that is not a CA', () => {
    expect(() => verifierFor({ anchors: [leaf.pem] })).toThrow(JwtAuthConfigError);
    expect(() => verifierFor({ anchors: [leaf.pem] })).toThrow(/issuers\[0\]\.trust\.anchors.*not a CA/);
  });

  it('refuses hostile self-made chains without caching them', async () => {
    const verifier = verifierFor({ ...trust, chainCacheSize: 4 });
    for (let i = 0; i < 6; i++) {
      const fakeRoot = await mint({ subject: 'CN=Test Root', key: evilKey, ca: true, keyUsage: CA_USAGE });
      const fakeLeaf = await mint({ subject: 'CN=l', key: evilKey, issuer: fakeRoot });
      await expectRefused(verifier, token(evilKey, { x5c: x5c(fakeLeaf) }));
    }
    await expectAccepted(verifier, token(leafKey, { x5c: x5c(leaf, inter) }));
  });
});
