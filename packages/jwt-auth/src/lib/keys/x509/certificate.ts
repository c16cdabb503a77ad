import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  ExtendedKeyUsage,
  KeyUsage,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { derBytes, derChildren, readDerElement, type DerElement } from './der';
import { signatureAlgorithmFor, type X509SignatureAlgorithm } from './signature-algorithms';

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
  readonly node: X509Certificate;
  readonly publicKey: KeyObject;
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

function hex(buffer: ArrayBuffer | Uint8Array): string {
  return Buffer.from(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)).toString('hex');
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
}

/**
 * The TBSCertificate fields path validation reads, from the DER itself: names and algorithm identifiers stay the
 * exact bytes (nothing is re-encoded before it is compared), and no generic ASN.1 object model is built (measured:
 * a full `@peculiar/asn1-schema` parse costs about ten times node's own certificate parse).
 */
function readCertificate(der: Buffer): RawCertificate {
  const certificate = readDerElement(der, 0);
  if (certificate.end !== der.length || certificate.tag !== 0x30) throw new Error('not one DER SEQUENCE');
  const [tbs, outerAlgorithm] = derChildren(der, certificate);
  expectTag(tbs, 0x30);
  expectTag(outerAlgorithm, 0x30);
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
  expectTag(fields[index + 5], 0x30);
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
  };
}

/**
 * Parse one DER certificate for path validation: node:crypto parses it (and later checks its signature), the fields
 * come from the DER, and the extensions that matter are decoded with `@peculiar/asn1-x509`.
 * @throws CertificateRejectedError when the bytes are not a well-formed certificate
 */
export function parseCertificate(der: Buffer): ParsedCertificate {
  let raw: RawCertificate;
  let node: X509Certificate;
  try {
    raw = readCertificate(der);
    node = new X509Certificate(der);
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
        case id_ce_basicConstraints: {
          const bc = AsnConvert.parse(value, BasicConstraints);
          basicConstraints = { cA: bc.cA === true, pathLen: bc.pathLenConstraint };
          break;
        }
        case id_ce_keyUsage:
          keyUsage = AsnConvert.parse(value, KeyUsage).toNumber();
          break;
        case id_ce_extKeyUsage:
          extendedKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
          break;
        case id_ce_subjectKeyIdentifier:
          subjectKeyId = hex(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
          break;
        case id_ce_authorityKeyIdentifier: {
          const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
          if (aki.keyIdentifier) authorityKeyId = hex(aki.keyIdentifier.buffer);
          break;
        }
        case id_ce_subjectAltName:
          for (const name of AsnConvert.parse(value, SubjectAlternativeName))
            if (name.dNSName) dnsNames.push(name.dNSName);
          break;
        default:
          if (extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.oid)) unknownCritical.push(extension.oid);
      }
    }
  } catch (error) {
    if (error instanceof CertificateRejectedError) throw error;
    throw new CertificateRejectedError('certificate has a malformed extension');
  }
  return Object.freeze({
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    node,
    publicKey: node.publicKey,
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
  if (!algorithm || issuerKey.asymmetricKeyType !== algorithm.keyType) return false;
  try {
    return certificate.node.verify(issuerKey);
  } catch {
    return false;
  }
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
