import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { derBytes, derChildren, readDerElement, type DerElement } from './der';
import { signatureAlgorithmFor, verifyX509Signature, type X509SignatureAlgorithm } from './signature-algorithms';

/** keyUsage bits (RFC 5280 section 4.2.1.3) as flags. */
export const KEY_USAGE = Object.freeze({ digitalSignature: 1, keyCertSign: 32, cRLSign: 64 });

const ID_CN = '2.5.4.3';

// Extensions whose semantics this validator implements or that cannot widen what a certificate may do. Any other
// extension marked critical makes the certificate unusable (RFC 5280 section 4.2); nameConstraints and the policy
// extensions are not processed, so when critical they are refused too.
const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
]);

/** Raised for a certificate or chain that must not be trusted; the message is safe to log. */
export class CertificateRejectedError extends Error {
  override readonly name = 'CertificateRejectedError';
}

/** The parts of one certificate that path validation reads, parsed once. */
export interface ParsedCertificate {
  readonly der: Buffer;
  /** Hex SHA-256 of the DER encoding: the certificate's identity in caches and comparisons. */
  readonly fingerprint: string;
  /** The signed TBSCertificate bytes and the signature over them. */
  readonly signed: Buffer;
  readonly signature: Buffer;
  /** The subject public key, imported by node:crypto on first use (OpenSSL 3 key decoding is the costliest step). */
  readonly publicKey: KeyObject;
  /** The SubjectPublicKeyInfo DER. */
  readonly spki: Buffer;
  /** RSA modulus length in bits, read from the DER; `undefined` for other key types. */
  readonly rsaBits: number | undefined;
  readonly version: number;
  readonly serialHex: string;
  /** DER of the subject and issuer names, compared bytewise (a stricter form of RFC 5280 section 7.1 matching). */
  readonly subjectName: Buffer;
  readonly issuerName: Buffer;
  readonly selfIssued: boolean;
  readonly notBefore: number;
  readonly notAfter: number;
  /** The accepted signature algorithm, or `undefined` when it is refused (SHA-1, MD5, PSS, unknown). */
  readonly signatureAlgorithm: X509SignatureAlgorithm | undefined;
  readonly signatureAlgorithmOid: string;
  /** basicConstraints: `undefined` when the extension is absent. */
  readonly basicConstraints: { readonly cA: boolean; readonly pathLen: number | undefined } | undefined;
  /** keyUsage flags, `undefined` when the extension is absent. */
  readonly keyUsage: number | undefined;
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  readonly dnsNames: readonly string[];
  readonly commonNames: readonly string[];
  /** OIDs of critical extensions this validator does not understand. */
  readonly unknownCritical: readonly string[];
}

function expectTag(element: DerElement, tag: number): DerElement {
  if (element === undefined || element.tag !== tag) throw new Error('unexpected DER element');
  return element;
}

/** Dotted form of a DER OBJECT IDENTIFIER. */
function readOid(bytes: Buffer, element: DerElement): string {
  expectTag(element, 0x06);
  const parts: number[] = [];
  let value = 0;
  for (let i = element.contentStart; i < element.end; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const TIME = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** UTCTime (years 1950-2049) or GeneralizedTime, in the Zulu forms RFC 5280 4.1.2.5 allows, as epoch ms. */
function readTime(bytes: Buffer, element: DerElement): number {
  if (element.tag !== 0x17 && element.tag !== 0x18) throw new Error('bad Time');
  const match = TIME.exec(bytes.toString('latin1', element.contentStart, element.end));
  if (!match || (element.tag === 0x17) !== (match[1].length === 2)) throw new Error('bad Time');
  let year = Number(match[1]);
  if (element.tag === 0x17) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = match.slice(2).map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The subject CN values (only the string types certificates use). */
function commonNamesOf(bytes: Buffer, name: DerElement): string[] {
  const names: string[] = [];
  for (const rdn of derChildren(bytes, name)) {
    for (const attribute of derChildren(bytes, rdn)) {
      const [type, value] = derChildren(bytes, attribute);
      if (readOid(bytes, type) !== ID_CN) continue;
      const text = bytes.subarray(value.contentStart, value.end);
      if (value.tag === 0x0c) names.push(new TextDecoder('utf-8', { fatal: true }).decode(text));
      else if (value.tag === 0x13 || value.tag === 0x16 || value.tag === 0x14) names.push(text.toString('latin1'));
      else if (value.tag === 0x1e) names.push(Buffer.from(text).swap16().toString('utf16le'));
    }
  }
  return names;
}

/** The one element `bytes` consist of, with tag `tag`. */
function whole(bytes: Buffer, tag: number): DerElement {
  const element = readDerElement(bytes, 0);
  if (element.end !== bytes.length) throw new Error('trailing bytes');
  return expectTag(element, tag);
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function readBasicConstraints(value: Buffer): { cA: boolean; pathLen: number | undefined } {
  let cA = false;
  let pathLen: number | undefined;
  for (const part of derChildren(value, whole(value, 0x30))) {
    if (part.tag === 0x01) cA = value[part.contentStart] !== 0;
    else if (part.tag === 0x02) {
      const length = part.end - part.contentStart;
      if (length > 4 || value[part.contentStart] & 0x80) throw new Error('bad pathLenConstraint');
      pathLen = value.readUIntBE(part.contentStart, length);
    } else throw new Error('bad BasicConstraints');
  }
  return { cA, pathLen };
}

/** KeyUsage BIT STRING, as flags: bit n of the string is 2^n (digitalSignature 1, keyCertSign 32, cRLSign 64). */
function readKeyUsage(value: Buffer): number {
  const bits = whole(value, 0x03);
  let flags = 0;
  for (let n = 0; n < 9; n++) {
    const index = bits.contentStart + 1 + (n >> 3);
    if (index < bits.end && value[index] & (0x80 >> (n & 7))) flags |= 1 << n;
  }
  return flags;
}

const RSA_KEY_OIDS: ReadonlySet<string> = new Set(['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.10']);

/** The modulus length of an RSA SubjectPublicKeyInfo (RFC 8017 A.1.1), `undefined` for other key types. */
function rsaModulusBits(spki: Buffer): number | undefined {
  const [algorithm, key] = derChildren(spki, whole(spki, 0x30));
  if (!RSA_KEY_OIDS.has(readOid(spki, derChildren(spki, expectTag(algorithm, 0x30))[0]))) return undefined;
  expectTag(key, 0x03);
  const rsaKey = readDerElement(spki, key.contentStart + 1, key.end);
  const modulus = expectTag(derChildren(spki, expectTag(rsaKey, 0x30))[0], 0x02);
  let start = modulus.contentStart;
  while (start < modulus.end && spki[start] === 0) start++;
  if (start === modulus.end) return 0;
  return (modulus.end - start - 1) * 8 + (32 - Math.clz32(spki[start]));
}

interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

interface RawCertificate {
  readonly version: number;
  readonly serialHex: string;
  readonly issuerName: Buffer;
  readonly subjectName: Buffer;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly commonNames: string[];
  readonly innerAlgorithm: Buffer;
  readonly outerAlgorithm: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly extensions: RawExtension[];
  readonly spki: Buffer;
  readonly signed: Buffer;
  readonly signature: Buffer;
}

/**
 * The TBSCertificate fields path validation reads, from the DER itself: names and algorithm identifiers stay the
 * exact bytes (nothing is re-encoded before it is compared), and no generic ASN.1 object model is built (measured:
 * a full `@peculiar/asn1-schema` parse costs about ten times node's own certificate parse, and node's
 * `X509Certificate` constructor alone about four times this reader plus `createPublicKey`).
 */
function readCertificate(der: Buffer): RawCertificate {
  const certificate = readDerElement(der, 0);
  if (certificate.end !== der.length || certificate.tag !== 0x30) throw new Error('not one DER SEQUENCE');
  const [tbs, outerAlgorithm, signatureValue, extra] = derChildren(der, certificate);
  expectTag(tbs, 0x30);
  expectTag(outerAlgorithm, 0x30);
  // BIT STRING with no unused bits: the signature bytes follow the leading 0 octet.
  if (extra !== undefined || expectTag(signatureValue, 0x03).end <= signatureValue.contentStart + 1)
    throw new Error('bad signature');
  if (der[signatureValue.contentStart] !== 0) throw new Error('bad signature');
  const fields = derChildren(der, tbs);
  let index = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const inner = expectTag(derChildren(der, fields[0])[0], 0x02);
    version = der[inner.end - 1] + 1;
    index = 1;
  }
  const serial = expectTag(fields[index], 0x02);
  const innerAlgorithm = expectTag(fields[index + 1], 0x30);
  const issuer = expectTag(fields[index + 2], 0x30);
  const validity = derChildren(der, expectTag(fields[index + 3], 0x30));
  const subject = expectTag(fields[index + 4], 0x30);
  const spki = expectTag(fields[index + 5], 0x30);
  const extensions: RawExtension[] = [];
  for (const field of fields.slice(index + 6)) {
    if (field.tag !== 0xa3) continue;
    for (const extension of derChildren(der, expectTag(derChildren(der, field)[0], 0x30))) {
      const parts = derChildren(der, expectTag(extension, 0x30));
      const critical = parts.length === 3 && parts[1].tag === 0x01 && der[parts[1].contentStart] !== 0;
      const value = expectTag(parts[parts.length - 1], 0x04);
      extensions.push({ oid: readOid(der, parts[0]), critical, value: der.subarray(value.contentStart, value.end) });
    }
  }
  if (validity.length !== 2) throw new Error('bad Validity');
  return {
    version,
    serialHex: der.toString('hex', serial.contentStart, serial.end),
    issuerName: derBytes(der, issuer),
    subjectName: derBytes(der, subject),
    notBefore: readTime(der, validity[0]),
    notAfter: readTime(der, validity[1]),
    commonNames: commonNamesOf(der, subject),
    innerAlgorithm: derBytes(der, innerAlgorithm),
    outerAlgorithm: derBytes(der, outerAlgorithm),
    signatureAlgorithmOid: readOid(der, derChildren(der, outerAlgorithm)[0]),
    extensions,
    spki: derBytes(der, spki),
    signed: derBytes(der, tbs),
    signature: der.subarray(signatureValue.contentStart + 1, signatureValue.end),
  };
}

/**
 * Parse one DER certificate for path validation: the fields and extensions it reads are decoded from the DER here
 * (OIDs from `@peculiar/asn1-x509`), the public key by node:crypto, which also checks the signatures later.
 * @throws CertificateRejectedError when the bytes are not a well-formed certificate
 */
export function parseCertificate(der: Buffer): ParsedCertificate {
  let raw: RawCertificate;
  let rsaBits: number | undefined;
  try {
    raw = readCertificate(der);
    rsaBits = rsaModulusBits(raw.spki);
  } catch {
    throw new CertificateRejectedError('certificate is not well-formed DER');
  }
  let basicConstraints: ParsedCertificate['basicConstraints'];
  let keyUsage: number | undefined;
  let extendedKeyUsage: string[] | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  const dnsNames: string[] = [];
  const unknownCritical: string[] = [];
  const seen = new Set<string>();
  try {
    for (const extension of raw.extensions) {
      // RFC 5280 section 4.2: a certificate must not include more than one instance of an extension.
      if (seen.has(extension.oid)) throw new CertificateRejectedError('certificate repeats an extension');
      seen.add(extension.oid);
      const value = extension.value;
      switch (extension.oid) {
        case id_ce_basicConstraints:
          basicConstraints = readBasicConstraints(value);
          break;
        case id_ce_keyUsage:
          keyUsage = readKeyUsage(value);
          break;
        case id_ce_extKeyUsage:
          extendedKeyUsage = derChildren(value, whole(value, 0x30)).map((oid) => readOid(value, oid));
          break;
        case id_ce_subjectKeyIdentifier: {
          const id = whole(value, 0x04);
          subjectKeyId = value.toString('hex', id.contentStart, id.end);
          break;
        }
        case id_ce_authorityKeyIdentifier: {
          // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
          const id = derChildren(value, whole(value, 0x30)).find((part) => part.tag === 0x80);
          if (id) authorityKeyId = value.toString('hex', id.contentStart, id.end);
          break;
        }
        case id_ce_subjectAltName:
          // GeneralName dNSName is [2] IMPLICIT IA5String.
          for (const name of derChildren(value, whole(value, 0x30)))
            if (name.tag === 0x82) dnsNames.push(value.toString('latin1', name.contentStart, name.end));
          break;
        default:
          if (extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.oid)) unknownCritical.push(extension.oid);
      }
    }
  } catch (error) {
    if (error instanceof CertificateRejectedError) throw error;
    throw new CertificateRejectedError('certificate has a malformed extension');
  }
  // A chain that fails on a signature above a certificate never needs that certificate's key: import it lazily.
  let publicKey: KeyObject | undefined;
  const spki = raw.spki;
  return Object.freeze({
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    get publicKey(): KeyObject {
      if (publicKey === undefined) {
        try {
          publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
        } catch {
          throw new CertificateRejectedError('certificate public key is invalid');
        }
      }
      return publicKey;
    },
    spki,
    rsaBits,
    signed: raw.signed,
    signature: raw.signature,
    version: raw.version,
    serialHex: raw.serialHex,
    subjectName: raw.subjectName,
    issuerName: raw.issuerName,
    selfIssued: raw.subjectName.equals(raw.issuerName),
    notBefore: raw.notBefore,
    notAfter: raw.notAfter,
    // RFC 5280 section 4.1.1.2: the outer algorithm must equal the signed one, or a signature could be re-labelled.
    signatureAlgorithm: raw.innerAlgorithm.equals(raw.outerAlgorithm)
      ? signatureAlgorithmFor(raw.signatureAlgorithmOid)
      : undefined,
    signatureAlgorithmOid: raw.signatureAlgorithmOid,
    basicConstraints,
    keyUsage,
    extendedKeyUsage: extendedKeyUsage && Object.freeze(extendedKeyUsage),
    subjectKeyId,
    authorityKeyId,
    dnsNames: Object.freeze(dnsNames),
    commonNames: Object.freeze(raw.commonNames),
    unknownCritical: Object.freeze(unknownCritical),
  });
}

/** True when `certificate`'s signature verifies with `issuer`'s key under an accepted algorithm. */
export function isSignedBy(certificate: ParsedCertificate, issuerKey: KeyObject): boolean {
  const algorithm = certificate.signatureAlgorithm;
  if (!algorithm) return false;
  return verifyX509Signature(algorithm, issuerKey, certificate.signed, certificate.signature);
}

/** Base64url SHA-1 and SHA-256 thumbprints of a DER certificate (`x5t`, `x5t#S256`, RFC 7515 4.1.7-8). */
export function thumbprints(der: Uint8Array): { sha1: string; sha256: string } {
  return {
    sha1: createHash('sha1').update(der).digest('base64url'),
    sha256: createHash('sha256').update(der).digest('base64url'),
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * The DER contents of every PEM block with one of `labels` in `text`; when `text` holds no PEM at all and `raw` is
 * given, `raw` itself is taken as one DER object.
 */
export function pemBlocks(text: string, labels: readonly string[], raw?: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let any = false;
  for (const match of text.matchAll(PEM_BLOCK)) {
    any = true;
    if (labels.includes(match[1])) blocks.push(Buffer.from(match[2].replace(/\s+/g, ''), 'base64'));
  }
  if (!any && raw !== undefined && raw.length > 0 && raw[0] === 0x30) blocks.push(raw);
  return blocks;
}
