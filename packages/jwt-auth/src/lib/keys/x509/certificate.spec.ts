import { mint, pkiKey } from '../../__fixtures__/pki';
import { CertificateRejectedError, parseCertificate, thumbprints } from './certificate';

describe('parseCertificate', () => {
  it('reads validity (UTCTime and GeneralizedTime), serial, names and extensions as node:crypto sees them', async () => {
    const key = await pkiKey('ES256');
    const notBefore = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
    const notAfter = new Date(Date.UTC(2061, 5, 7, 8, 9, 10)); // after 2049: GeneralizedTime
    const root = await mint({ subject: 'CN=Ünïcode Root,O=Test', key, ca: true, pathLen: 2, notBefore, notAfter });
    const leaf = await mint({
      subject: 'CN=leaf',
      key,
      issuer: root,
      dns: ['a.test', 'b.test'],
      eku: ['1.3.6.1.5.5.7.3.1'],
    });
    const r = parseCertificate(root.der);
    const l = parseCertificate(leaf.der);
    expect(r.notBefore).toBe(notBefore.getTime());
    expect(r.notAfter).toBe(notAfter.getTime());
    expect(new Date(l.notAfter).toUTCString()).toBe(new Date(leaf.cert.notAfter).toUTCString());
    expect(r.serialHex).toBe(root.cert.serialNumber.toLowerCase());
    expect(r.commonNames).toEqual(['Ünïcode Root']);
    expect(r.basicConstraints).toEqual({ cA: true, pathLen: 2 });
    expect(r.keyUsage).toBe(32 | 64);
    expect(l.keyUsage).toBe(1);
    expect(l.basicConstraints).toEqual({ cA: false, pathLen: undefined });
    expect(r.selfIssued).toBe(true);
    expect(l.selfIssued).toBe(false);
    expect(l.issuerName.equals(r.subjectName)).toBe(true);
    expect(l.authorityKeyId).toBe(r.subjectKeyId);
    expect(l.dnsNames).toEqual(['a.test', 'b.test']);
    expect(l.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(l.signatureAlgorithm?.name).toBe('ecdsa-with-SHA256');
    expect(l.version).toBe(3);
    expect(thumbprints(l.der).sha256).toHaveLength(43);
  });

  it('reads the RSA modulus length from the DER, and imports the key only when asked', async () => {
    const rsa = await pkiKey('RS256');
    const cert = parseCertificate((await mint({ subject: 'CN=rsa', key: rsa })).der);
    expect(cert.rsaBits).toBe(2048);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.publicKey).toBe(cert.publicKey);
    const ec = parseCertificate((await mint({ subject: 'CN=ec', key: await pkiKey('ES256') })).der);
    expect(ec.rsaBits).toBeUndefined();
  });

  it('refuses bytes that are not one certificate', async () => {
    const key = await pkiKey('ES256');
    const cert = await mint({ subject: 'CN=x', key });
    expect(() => parseCertificate(Buffer.concat([cert.der, Buffer.from([0])]))).toThrow(CertificateRejectedError);
    expect(() => parseCertificate(cert.der.subarray(0, cert.der.length - 1))).toThrow(CertificateRejectedError);
  });
});
