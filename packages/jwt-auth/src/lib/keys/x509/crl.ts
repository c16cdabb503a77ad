import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificateList,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  AuthorityKeyIdentifier,
} from '@peculiar/asn1-x509';
import { derBytes, derChildren, readDerElement } from './der';
import { CertificateRejectedError, KEY_USAGE, type ParsedCertificate } from './certificate';
import { signatureAlgorithmFor, verifyX509Signature, type X509SignatureAlgorithm } from './signature-algorithms';

// CRL extensions whose presence does not change which certificates the list covers. A critical
// issuingDistributionPoint (a partitioned CRL) or deltaCRLIndicator is not understood, so such a CRL never counts.
const UNDERSTOOD_CRL_EXTENSIONS: ReadonlySet<string> = new Set([id_ce_authorityKeyIdentifier, id_ce_cRLNumber]);

/** A CRL parsed once; whether it counts for a given CA is decided by {@link crlCountsFor}. */
export interface ParsedCrl {
  readonly der: Buffer;
  readonly fingerprint: string;
  readonly issuerName: Buffer;
  readonly authorityKeyId: string | undefined;
  readonly thisUpdate: number;
  /** `undefined` when absent: such a CRL is never current (RFC 5280 section 5.1.2.5 requires it). */
  readonly nextUpdate: number | undefined;
  readonly revokedSerials: ReadonlySet<string>;
  readonly signatureAlgorithm: X509SignatureAlgorithm | undefined;
  readonly signed: Buffer;
  readonly signature: Buffer;
  /** A critical extension (CRL or entry) that is not understood: the CRL cannot be relied on. */
  readonly hasUnknownCritical: boolean;
}

/**
 * Parse one DER CRL.
 * @throws CertificateRejectedError when the bytes are not a well-formed CRL
 */
export function parseCrl(der: Buffer): ParsedCrl {
  try {
    const outer = readDerElement(der, 0);
    if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('not one SEQUENCE');
    const [tbs, outerAlgorithm] = derChildren(der, outer);
    const fields = derChildren(der, tbs);
    const first = fields[0]?.tag === 0x02 ? 1 : 0;
    const innerAlgorithm = fields[first];
    const issuer = fields[first + 1];
    const parsed = AsnConvert.parse(der, CertificateList);
    const list = parsed.tbsCertList;
    let hasUnknownCritical = false;
    let authorityKeyId: string | undefined;
    for (const extension of list.crlExtensions ?? []) {
      if (extension.extnID === id_ce_authorityKeyIdentifier) {
        const aki = AsnConvert.parse(extension.extnValue.buffer, AuthorityKeyIdentifier);
        if (aki.keyIdentifier) authorityKeyId = Buffer.from(aki.keyIdentifier.buffer).toString('hex');
      } else if (extension.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(extension.extnID)) hasUnknownCritical = true;
    }
    const revokedSerials = new Set<string>();
    for (const entry of list.revokedCertificates ?? []) {
      // Entry extensions such as certificateIssuer (indirect CRLs) change whose serial this is.
      if (entry.crlEntryExtensions?.some((extension) => extension.critical)) hasUnknownCritical = true;
      revokedSerials.add(Buffer.from(entry.userCertificate).toString('hex'));
    }
    const sameAlgorithm = derBytes(der, innerAlgorithm).equals(derBytes(der, outerAlgorithm));
    return Object.freeze({
      der,
      fingerprint: createHash('sha256').update(der).digest('hex'),
      issuerName: derBytes(der, issuer),
      authorityKeyId,
      thisUpdate: list.thisUpdate.getTime().getTime(),
      nextUpdate: list.nextUpdate?.getTime().getTime(),
      revokedSerials,
      signatureAlgorithm: sameAlgorithm ? signatureAlgorithmFor(parsed.signatureAlgorithm.algorithm) : undefined,
      signed: derBytes(der, tbs),
      signature: Buffer.from(parsed.signature),
      hasUnknownCritical,
    });
  } catch {
    throw new CertificateRejectedError('CRL is not well-formed DER');
  }
}

/** Why a CRL does not count for a CA, or `undefined` when it is authentic for it (currency is checked apart). */
export function crlProblemFor(crl: ParsedCrl, ca: ParsedCertificate): string | undefined {
  if (!crl.issuerName.equals(ca.subjectName)) return 'is issued by another CA';
  if (crl.authorityKeyId !== undefined && ca.subjectKeyId !== undefined && crl.authorityKeyId !== ca.subjectKeyId)
    return 'names another key of the CA';
  // RFC 5280 section 4.2.1.3: only a key with cRLSign may sign CRLs.
  if (ca.keyUsage !== undefined && (ca.keyUsage & KEY_USAGE.cRLSign) === 0) return 'is signed by a CA without cRLSign';
  if (crl.hasUnknownCritical) return 'has a critical extension that is not understood';
  if (!crl.signatureAlgorithm) return 'uses a refused signature algorithm';
  if (!verifyX509Signature(crl.signatureAlgorithm, ca.publicKey, crl.signed, crl.signature))
    return 'has a signature that does not verify with the CA key';
  return undefined;
}

/** True when `now` lies in [thisUpdate, nextUpdate). */
export function isCrlCurrent(crl: ParsedCrl, now: number): boolean {
  return crl.thisUpdate <= now && crl.nextUpdate !== undefined && now < crl.nextUpdate;
}
