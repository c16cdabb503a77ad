import { createHash, createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../common/atomic-file';

x509.cryptoProvider.set(webcrypto as never);
const subtle = webcrypto.subtle;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** Lifetimes of the private CA's certificates and CRLs. */
export const PKI_LIFETIMES = Object.freeze({
  rootDays: 3650,
  intermediateDays: 3650,
  signingDays: 182,
  /** A signing certificate this close to its end is replaced at start. */
  signingRenewBeforeDays: 30,
  crlDays: 7,
});

/** File names under `<dataDir>/pki`. */
export const PKI_FILES = Object.freeze({
  rootCert: 'root-ca.pem',
  rootKey: 'root-ca.key.pem',
  intermediateCert: 'intermediate-ca.pem',
  intermediateKey: 'intermediate-ca.key.pem',
  signingCert: 'signing.pem',
  signingKey: 'signing.key.pem',
  rootCrl: 'root-ca.crl.pem',
  intermediateCrl: 'intermediate-ca.crl.pem',
  revocations: 'revocations.json',
});

interface Authority {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
}

interface Revocations {
  /** Serials (hex) revoked by the intermediate CA. */
  readonly signing: readonly string[];
  crlNumber: number;
}

/** What the token signer puts in an x5c token's header, and the key it signs with. */
export interface X509SigningMaterial {
  readonly privateKey: KeyObject;
  /** Signing certificate first, then the intermediate (RFC 7515 4.1.6); the root stays with the verifiers. */
  readonly x5c: readonly string[];
  /** base64url SHA-256 thumbprint of the signing certificate. */
  readonly x5tS256: string;
  /** Serial number (hex) of the signing certificate. */
  readonly serial: string;
}

function der(cert: x509.X509Certificate): Buffer {
  return Buffer.from(cert.rawData);
}

async function exportPkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

async function importPkcs8Pem(pem: string): Promise<webcrypto.CryptoKey> {
  const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  return subtle.importKey('pkcs8', Buffer.from(body, 'base64'), EC_KEY, true, ['sign']);
}

function serialNumber(): string {
  // Positive, non-zero leading byte: 16 random bytes as RFC 5280 4.1.2.2 allows (at most 20 octets).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x10;
  return bytes.toString('hex');
}

/**
 * The identity service's private PKI: a root CA (10 years), an intermediate CA (10 years) and a token-signing
 * certificate (6 months), generated on first start into `<dataDir>/pki` (private keys 0600), with CRLs of both CAs
 * published as files there (and over HTTP by the identity service). Revoking the signing certificate issues a fresh
 * one and a new CRL.
 */
export class PrivateCa {
  private root!: Authority;
  private intermediate!: Authority;
  private signing!: { cert: x509.X509Certificate; material: X509SigningMaterial };
  private revocations: Revocations = { signing: [], crlNumber: 0 };
  private rootCrl!: Buffer;
  private intermediateCrl!: Buffer;
  /** `thisUpdate` of the current CRLs (epoch ms). */
  private crlIssuedAt = 0;
  private crlTimer: NodeJS.Timeout | undefined;
  private crlRefreshing: Promise<boolean> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly now: () => number,
  ) {}

  /** Load the PKI from `<dataDir>/pki`, creating whatever is missing; CRLs are re-issued on every start. */
  static async open(dataDir: string, now: () => number = Date.now): Promise<PrivateCa> {
    const ca = new PrivateCa(join(dataDir, 'pki'), now);
    await mkdir(ca.dir, { recursive: true, mode: 0o700 });
    await ca.load();
    return ca;
  }

  /** The directory holding the PKI files. */
  get directory(): string {
    return this.dir;
  }

  /** Path of a file of {@link PKI_FILES}. */
  path(file: keyof typeof PKI_FILES): string {
    return join(this.dir, PKI_FILES[file]);
  }

  /** The root CA certificate (PEM): the only thing a resource service needs to trust these tokens. */
  get rootPem(): string {
    return this.root.cert.toString('pem');
  }

  /** The current CRL of the root CA (DER). */
  get rootCrlDer(): Buffer {
    return this.rootCrl;
  }

  /** The current CRL of the intermediate CA, which covers the signing certificates (DER). */
  get intermediateCrlDer(): Buffer {
    return this.intermediateCrl;
  }

  /** Key and header members for an x5c token. */
  get signingMaterial(): X509SigningMaterial {
    return this.signing.material;
  }

  /**
   * Re-issue both CAs' CRLs (files and served copies, CRL number + 1) once half their validity has passed, so a
   * verifier in `require` mode never sees them expire while this process runs. Resolves whether it re-issued.
   */
  async refreshCrlsIfDue(): Promise<boolean> {
    if (this.crlRefreshing) return this.crlRefreshing;
    if (this.now() < this.crlIssuedAt + (PKI_LIFETIMES.crlDays * DAY_MS) / 2) return false;
    this.crlRefreshing = this.issueCrls()
      .then(() => true)
      .finally(() => (this.crlRefreshing = undefined));
    return this.crlRefreshing;
  }

  /** Check {@link refreshCrlsIfDue} every `periodMs` on an unref'd timer (stopped by {@link close}). */
  startCrlRefresh(periodMs: number, onError: (error: unknown) => void = () => undefined): void {
    this.close();
    this.crlTimer = setInterval(() => void this.refreshCrlsIfDue().catch(onError), periodMs);
    this.crlTimer.unref();
  }

  /** Stop the CRL refresh timer. */
  close(): void {
    if (this.crlTimer) clearInterval(this.crlTimer);
    this.crlTimer = undefined;
  }

  /** Nest shutdown hook. */
  onModuleDestroy(): void {
    this.close();
  }

  /** Revoke the current signing certificate, issue a fresh one and publish the new CRL. */
  async revokeSigningCertificate(): Promise<{ revoked: string; current: string }> {
    const revoked = this.signing.material.serial;
    this.revocations = { signing: [...this.revocations.signing, revoked], crlNumber: this.revocations.crlNumber };
    await this.issueSigningCertificate();
    await this.issueCrls();
    return { revoked, current: this.signing.material.serial };
  }

  private async load(): Promise<void> {
    const read = async (file: keyof typeof PKI_FILES): Promise<string | undefined> =>
      readFile(this.path(file), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
    const [rootPem, rootKey, interPem, interKey] = await Promise.all([
      read('rootCert'),
      read('rootKey'),
      read('intermediateCert'),
      read('intermediateKey'),
    ]);
    if (rootPem && rootKey) this.root = { cert: new x509.X509Certificate(rootPem), key: await importPkcs8Pem(rootKey) };
    else
      this.root = await this.createAuthority(
        'CN=Nest SSO Demo Root CA,O=nest-sso',
        undefined,
        PKI_LIFETIMES.rootDays,
        'root',
      );
    if (rootPem && rootKey && interPem && interKey)
      this.intermediate = { cert: new x509.X509Certificate(interPem), key: await importPkcs8Pem(interKey) };
    else
      this.intermediate = await this.createAuthority(
        'CN=Nest SSO Demo Token CA,O=nest-sso',
        this.root,
        PKI_LIFETIMES.intermediateDays,
        'intermediate',
      );
    const revocations = await read('revocations');
    if (revocations) this.revocations = JSON.parse(revocations) as Revocations;
    const [signingPem, signingKey] = await Promise.all([read('signingCert'), read('signingKey')]);
    const renewAt = this.now() + PKI_LIFETIMES.signingRenewBeforeDays * DAY_MS;
    if (signingPem && signingKey && interPem) {
      const cert = new x509.X509Certificate(signingPem);
      const isUsable = cert.notAfter.getTime() > renewAt && !this.revocations.signing.includes(cert.serialNumber);
      if (isUsable) this.signing = { cert, material: this.materialFor(cert, createPrivateKey(signingKey)) };
    }
    if (!this.signing) await this.issueSigningCertificate();
    await this.issueCrls();
  }

  private async createAuthority(
    name: string,
    parent: Authority | undefined,
    days: number,
    role: 'root' | 'intermediate',
  ): Promise<Authority> {
    const keys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const notBefore = new Date(this.now() - 60_000);
    const extensions: x509.Extension[] = [
      // The root allows one intermediate below it; the intermediate signs end-entity certificates only.
      new x509.BasicConstraintsExtension(true, role === 'root' ? 1 : 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ];
    if (parent) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(parent.cert));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: name,
      issuer: parent?.cert.subject ?? name,
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * DAY_MS),
      publicKey: keys.publicKey as never,
      signingKey: (parent?.key ?? keys.privateKey) as never,
      signingAlgorithm: EC_SIGN,
      extensions,
    });
    await writeFileAtomic(
      this.path(role === 'root' ? 'rootKey' : 'intermediateKey'),
      await exportPkcs8Pem(keys.privateKey),
      0o600,
    );
    await writeFileAtomic(this.path(role === 'root' ? 'rootCert' : 'intermediateCert'), cert.toString('pem'), 0o644);
    return { cert, key: keys.privateKey };
  }

  private async issueSigningCertificate(): Promise<void> {
    const keys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const notBefore = new Date(this.now() - 60_000);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: 'CN=tokens.identity.nest-sso.test,O=nest-sso',
      issuer: this.intermediate.cert.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + PKI_LIFETIMES.signingDays * DAY_MS),
      publicKey: keys.publicKey as never,
      signingKey: this.intermediate.key as never,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'tokens.identity.nest-sso.test' }]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
        await x509.AuthorityKeyIdentifierExtension.create(this.intermediate.cert),
      ],
    });
    const pem = await exportPkcs8Pem(keys.privateKey);
    await writeFileAtomic(this.path('signingKey'), pem, 0o600);
    await writeFileAtomic(this.path('signingCert'), cert.toString('pem'), 0o644);
    this.signing = { cert, material: this.materialFor(cert, createPrivateKey(pem)) };
  }

  private materialFor(cert: x509.X509Certificate, privateKey: KeyObject): X509SigningMaterial {
    return Object.freeze({
      privateKey,
      x5c: Object.freeze([der(cert).toString('base64'), der(this.intermediate.cert).toString('base64')]),
      x5tS256: createHash('sha256').update(der(cert)).digest('base64url'),
      serial: cert.serialNumber,
    });
  }

  private async issueCrls(): Promise<void> {
    this.revocations.crlNumber += 1;
    const thisUpdate = new Date(this.now() - 60_000);
    const nextUpdate = new Date(this.now() + PKI_LIFETIMES.crlDays * DAY_MS);
    const issue = async (authority: Authority, serials: readonly string[]) =>
      x509.X509CrlGenerator.create({
        issuer: authority.cert.subject,
        thisUpdate,
        nextUpdate,
        entries: serials.map((serial) => ({ serialNumber: serial, revocationDate: thisUpdate })),
        signingKey: authority.key as never,
        signingAlgorithm: EC_SIGN,
        extensions: [
          await x509.AuthorityKeyIdentifierExtension.create(authority.cert),
          // RFC 5280 5.2.3: monotonically increasing, so a verifier can tell the newer CRL.
          new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(this.revocations.crlNumber))),
        ],
      });
    const rootCrl = await issue(this.root, []);
    const intermediateCrl = await issue(this.intermediate, this.revocations.signing);
    await writeFileAtomic(this.path('revocations'), JSON.stringify(this.revocations, null, 2), 0o644);
    // Each file is replaced atomically, so a verifier re-reading it never sees half a CRL.
    await writeFileAtomic(this.path('rootCrl'), rootCrl.toString('pem'), 0o644);
    await writeFileAtomic(this.path('intermediateCrl'), intermediateCrl.toString('pem'), 0o644);
    this.rootCrl = Buffer.from(rootCrl.rawData);
    this.intermediateCrl = Buffer.from(intermediateCrl.rawData);
    this.crlIssuedAt = thisUpdate.getTime();
  }
}
