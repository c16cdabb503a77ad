import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
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
  type Name,
} from '@peculiar/asn1-x509';
import { derBytes, derChildren, readDerElement } from './der';
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

function commonNamesOf(name: Name): string[] {
  const names: string[] = [];
  for (const rdn of name)
    for (const attribute of rdn) if (attribute.type === ID_CN) names.push(attribute.value.toString());
  return names;
}

/** The algorithm identifier OID and raw name bytes, read from the DER itself so nothing is re-encoded. */
function rawParts(der: Buffer): {
  issuerName: Buffer;
  subjectName: Buffer;
  innerAlgorithm: Buffer;
  outerAlgorithm: Buffer;
} {
  const certificate = readDerElement(der, 0);
  if (certificate.end !== der.length || certificate.tag !== 0x30) throw new Error('not one DER SEQUENCE');
  const [tbs, outerAlgorithm] = derChildren(der, certificate);
  const fields = derChildren(der, tbs);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const first = fields[0]?.tag === 0xa0 ? 1 : 0;
  const [innerAlgorithm, issuer, , subject] = fields.slice(first + 1, first + 5);
  if (!subject || !outerAlgorithm) throw new Error('truncated TBSCertificate');
  return {
    issuerName: derBytes(der, issuer),
    subjectName: derBytes(der, subject),
    innerAlgorithm: derBytes(der, innerAlgorithm),
    outerAlgorithm: derBytes(der, outerAlgorithm),
  };
}

/**
 * Parse one DER certificate for path validation. Extensions are decoded with `@peculiar/asn1-x509`, the key and
 * signature check with node:crypto.
 * @throws CertificateRejectedError when the bytes are not a well-formed certificate
 */
export function parseCertificate(der: Buffer): ParsedCertificate {
  let parsed: Certificate;
  let node: X509Certificate;
  let raw: ReturnType<typeof rawParts>;
  try {
    raw = rawParts(der);
    parsed = AsnConvert.parse(der, Certificate);
    node = new X509Certificate(der);
  } catch {
    throw new CertificateRejectedError('certificate is not well-formed DER');
  }
  const tbs = parsed.tbsCertificate;
  let basicConstraints: ParsedCertificate['basicConstraints'];
  let keyUsage: number | undefined;
  let extendedKeyUsage: string[] | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  const dnsNames: string[] = [];
  const unknownCritical: string[] = [];
  const seen = new Set<string>();
  try {
    for (const extension of tbs.extensions ?? []) {
      // RFC 5280 section 4.2: a certificate must not include more than one instance of an extension.
      if (seen.has(extension.extnID)) throw new CertificateRejectedError('certificate repeats an extension');
      seen.add(extension.extnID);
      const value = extension.extnValue.buffer;
      switch (extension.extnID) {
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
          if (extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.extnID))
            unknownCritical.push(extension.extnID);
      }
    }
  } catch (error) {
    if (error instanceof CertificateRejectedError) throw error;
    throw new CertificateRejectedError('certificate has a malformed extension');
  }
  const signatureAlgorithmOid = parsed.signatureAlgorithm.algorithm;
  return Object.freeze({
    der,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    node,
    publicKey: node.publicKey,
    version: (tbs.version ?? 0) + 1,
    serialHex: hex(tbs.serialNumber),
    subjectName: raw.subjectName,
    issuerName: raw.issuerName,
    selfIssued: raw.subjectName.equals(raw.issuerName),
    notBefore: tbs.validity.notBefore.getTime().getTime(),
    notAfter: tbs.validity.notAfter.getTime().getTime(),
    // RFC 5280 section 4.1.1.2: the outer algorithm must equal the signed one, or a signature could be re-labelled.
    signatureAlgorithm: raw.innerAlgorithm.equals(raw.outerAlgorithm)
      ? signatureAlgorithmFor(signatureAlgorithmOid)
      : undefined,
    signatureAlgorithmOid,
    basicConstraints,
    keyUsage,
    extendedKeyUsage: extendedKeyUsage && Object.freeze(extendedKeyUsage),
    subjectKeyId,
    authorityKeyId,
    dnsNames: Object.freeze(dnsNames),
    commonNames: Object.freeze(commonNamesOf(tbs.subject)),
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
