import 'reflect-metadata';
import { createPrivateKey, createPublicKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { b64u, signBytes } from './tokens';

/** Test-only PKI: certificates and CRLs minted per run with @peculiar/x509 (excluded from the build). */
x509.cryptoProvider.set(webcrypto as never);
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;
type Algorithm = webcrypto.Algorithm;
const subtle = webcrypto.subtle;

export type PkiAlg = 'ES256' | 'RS256';

export interface PkiKey {
  readonly alg: PkiAlg;
  readonly pair: CryptoKeyPair;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly rsaBits?: number;
}

export interface Minted {
  readonly cert: x509.X509Certificate;
  readonly der: Buffer;
  readonly b64: string;
  readonly pem: string;
  readonly key: PkiKey;
}

export const KU = x509.KeyUsageFlags;
export const CA_USAGE = KU.keyCertSign | KU.cRLSign;
export const LEAF_USAGE = KU.digitalSignature;
const DAY = 86_400_000;

export async function pkiKey(alg: PkiAlg, rsaBits = 2048): Promise<PkiKey> {
  const params =
    alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: rsaBits,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  const pair = (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', pair.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    alg,
    pair,
    privateKey,
    publicKey: createPublicKey(privateKey),
    rsaBits: alg === 'RS256' ? rsaBits : undefined,
  };
}

async function signingKeyFor(key: PkiKey, hash: string): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  if (key.alg === 'ES256') return { key: key.pair.privateKey, algorithm: { name: 'ECDSA', hash } as Algorithm };
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm;
  if (hash === 'SHA-256') return { key: key.pair.privateKey, algorithm };
  // A WebCrypto RSA key is bound to one hash: re-import it for another.
  const pkcs8 = await subtle.exportKey('pkcs8', key.pair.privateKey);
  return {
    key: await subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']),
    algorithm,
  };
}

export interface MintOptions {
  readonly subject: string;
  readonly key: PkiKey;
  /** Absent: self-signed. */
  readonly issuer?: Minted;
  /** Sign with this key instead of the issuer's. */
  readonly signer?: PkiKey;
  /** Put this issuer name in the certificate instead of the issuer's subject. */
  readonly issuerName?: string;
  /** basicConstraints cA; 'absent' leaves the extension out. @default false */
  readonly ca?: boolean | 'absent';
  readonly pathLen?: number;
  /** keyUsage flags, or 'absent'. @default CA_USAGE for CAs, LEAF_USAGE otherwise */
  readonly keyUsage?: number | 'absent';
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly extensions?: readonly x509.Extension[];
  readonly hash?: 'SHA-1' | 'SHA-256';
  readonly dns?: readonly string[];
  readonly eku?: readonly string[];
  readonly serialNumber?: string;
}

export async function mint(options: MintOptions): Promise<Minted> {
  const isCa = options.ca === true;
  const signer = options.signer ?? options.issuer?.key ?? options.key;
  const { key: signingKey, algorithm } = await signingKeyFor(signer, options.hash ?? 'SHA-256');
  const extensions: x509.Extension[] = [];
  if (options.ca !== 'absent') extensions.push(new x509.BasicConstraintsExtension(isCa, options.pathLen, true));
  const usage = options.keyUsage ?? (isCa ? CA_USAGE : LEAF_USAGE);
  if (usage !== 'absent') extensions.push(new x509.KeyUsagesExtension(usage, true));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(options.key.pair.publicKey as never));
  if (options.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.cert));
  if (options.dns)
    extensions.push(new x509.SubjectAlternativeNameExtension(options.dns.map((value) => ({ type: 'dns', value }))));
  if (options.eku) extensions.push(new x509.ExtendedKeyUsageExtension([...options.eku]));
  extensions.push(...(options.extensions ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    // A random positive serial per certificate (leading 01 keeps the DER INTEGER positive).
    serialNumber: options.serialNumber ?? `01${randomBytes(8).toString('hex')}`,
    subject: options.subject,
    issuer: options.issuerName ?? options.issuer?.cert.subject ?? options.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    publicKey: options.key.pair.publicKey as never,
    signingKey: signingKey as never,
    signingAlgorithm: algorithm,
    extensions,
  });
  const der = Buffer.from(cert.rawData);
  return { cert, der, b64: der.toString('base64'), pem: cert.toString('pem'), key: options.key };
}

export interface CrlOptions {
  readonly issuer: Minted;
  readonly revoked?: readonly Minted[];
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  readonly signer?: PkiKey;
}

export async function mintCrl(options: CrlOptions): Promise<{ der: Buffer; pem: string }> {
  const { key, algorithm } = await signingKeyFor(options.signer ?? options.issuer.key, 'SHA-256');
  const crl = await x509.X509CrlGenerator.create({
    issuer: options.issuer.cert.subject,
    thisUpdate: options.thisUpdate ?? new Date(Date.now() - 60_000),
    nextUpdate: options.nextUpdate ?? new Date(Date.now() + DAY),
    entries: (options.revoked ?? []).map((cert) => ({
      serialNumber: cert.cert.serialNumber,
      revocationDate: new Date(Date.now() - 120_000),
    })),
    signingKey: key as never,
    signingAlgorithm: algorithm,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(options.issuer.cert)],
  });
  const der = Buffer.from(crl.rawData);
  return { der, pem: crl.toString('pem') };
}

/** An extension with an OID nobody understands. */
export function unknownExtension(critical: boolean): x509.Extension {
  return new x509.Extension('1.3.6.1.4.1.55555.1.1', critical, new Uint8Array([0x05, 0x00]));
}

/** A signed access token whose header carries `header` (x5c, x5t, jwk ...). */
export function signX509Token(
  key: PkiKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown> = {},
  issuer = 'https://pki-issuer.test',
): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64u({ alg: key.alg, typ: 'at+jwt', ...header })}.${b64u({ iss: issuer, aud: 'api', sub: 'user-1', iat: now, exp: now + 300, ...claims })}`;
  return `${input}.${signBytes(key.alg, key.privateKey, input).toString('base64url')}`;
}
