import { CertificateRejectedError, isSignedBy, KEY_USAGE, type ParsedCertificate } from './certificate';
import { isCrlCurrent, type ParsedCrl } from './crl';

/** How revocation is checked: see `X509TrustOptions.revocation`. */
export type RevocationMode = 'require' | 'if-present' | 'off';

/** What a path must satisfy besides RFC 5280 itself. */
export interface PathPolicy {
  /** The leaf must carry one of these as a DNS SAN or subject CN. */
  readonly leafNames: ReadonlySet<string> | undefined;
  /** The leaf must carry one of these extended key usages. */
  readonly extendedKeyUsage: ReadonlySet<string> | undefined;
  readonly revocation: RevocationMode;
  readonly minRsaModulusLength: number;
}

/** The CRLs at hand and a memo of their authenticity per CA (signatures are checked once per pair). */
export interface CrlView {
  /** Every CRL whose issuer name is `caSubject`. */
  crlsFor(caSubject: Buffer): readonly ParsedCrl[];
  /** Why `crl` is not authentic for `ca` (see `crlProblemFor`), memoized; `undefined` when it is. */
  problemOf(crl: ParsedCrl, ca: ParsedCertificate): string | undefined;
}

/** A validated path: how long the verdict may be reused. */
export interface ValidatedPath {
  /** The earliest `notAfter` in the path and `nextUpdate` of the CRLs it relied on. */
  readonly validUntil: number;
}

function reject(message: string): never {
  throw new CertificateRejectedError(message);
}

function checkKeySize(certificate: ParsedCertificate, what: string, minBits: number): void {
  const bits = certificate.rsaBits;
  if (bits !== undefined && bits < minBits) reject(`${what} has an RSA key of ${bits} bits (below ${minBits})`);
}

/** Checks that need no signature: cheap, so a hostile chain is refused before any expensive work where possible. */
function checkCertificate(certificate: ParsedCertificate, what: string, now: number, minRsaBits: number): void {
  if (certificate.version !== 3) reject(`${what} is not an X.509 v3 certificate`);
  if (now < certificate.notBefore) reject(`${what} is not yet valid`);
  if (now >= certificate.notAfter) reject(`${what} has expired`);
  if (!certificate.signatureAlgorithm)
    reject(
      `${what} is signed with a refused algorithm (${certificate.signatureAlgorithmOid}); SHA-1, MD5 and PSS are not accepted`,
    );
  if (certificate.unknownCritical.length > 0)
    reject(`${what} has a critical extension that is not understood (${certificate.unknownCritical.join(', ')})`);
  checkKeySize(certificate, what, minRsaBits);
}

/** Anchor rules, also checked at boot: a CA certificate that may sign certificates. */
export function anchorProblem(anchor: ParsedCertificate, minRsaBits: number): string | undefined {
  if (anchor.basicConstraints?.cA !== true) return 'is not a CA certificate (basicConstraints cA is not true)';
  if (anchor.keyUsage !== undefined && (anchor.keyUsage & KEY_USAGE.keyCertSign) === 0)
    return 'lacks keyUsage keyCertSign';
  if (anchor.unknownCritical.length > 0) return 'has a critical extension that is not understood';
  if (anchor.rsaBits !== undefined && anchor.rsaBits < minRsaBits) return `has an RSA key below ${minRsaBits} bits`;
  return undefined;
}

/** Signing-certificate rules (also applied to deployed certificates without anchors), or `undefined` when met. */
export function leafProblem(certificate: ParsedCertificate, policy: PathPolicy): string | undefined {
  if (certificate.basicConstraints?.cA === true) return 'is a CA certificate; a CA does not sign tokens';
  if (certificate.keyUsage !== undefined && (certificate.keyUsage & KEY_USAGE.digitalSignature) === 0)
    return 'lacks keyUsage digitalSignature';
  const eku = policy.extendedKeyUsage;
  if (eku !== undefined && !certificate.extendedKeyUsage?.some((oid) => eku.has(oid)))
    return 'lacks the required extended key usage';
  const names = policy.leafNames;
  if (
    names !== undefined &&
    !certificate.dnsNames.some((name) => names.has(name)) &&
    !certificate.commonNames.some((name) => names.has(name))
  )
    return 'carries none of the configured leaf names';
  if (certificate.unknownCritical.length > 0) return 'has a critical extension that is not understood';
  if (certificate.rsaBits !== undefined && certificate.rsaBits < policy.minRsaModulusLength)
    return `has an RSA key of ${certificate.rsaBits} bits (below ${policy.minRsaModulusLength})`;
  return undefined;
}

/** True when the cheap links (names, key identifiers) let `child` have been issued by `issuer`. */
export function linksTo(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!child.issuerName.equals(issuer.subjectName)) return false;
  return (
    child.authorityKeyId === undefined ||
    issuer.subjectKeyId === undefined ||
    child.authorityKeyId === issuer.subjectKeyId
  );
}

/**
 * RFC 5280 section 6.1 path validation of `path` (leaf first, as in `x5c`, without the anchor) to `anchor`, at
 * time `now`. Everything that costs no signature is checked first; then signatures from the anchor down, so a
 * forged chain fails on its first signature check; then revocation.
 * @throws CertificateRejectedError naming the first rule broken
 */
export function validatePath(
  path: readonly ParsedCertificate[],
  anchor: ParsedCertificate,
  policy: PathPolicy,
  now: number,
  crls: CrlView,
): ValidatedPath {
  const minBits = policy.minRsaModulusLength;
  if (path.length === 0) reject('the chain holds no certificate');
  const anchorIssue = anchorProblem(anchor, minBits);
  if (anchorIssue) reject(`the trust anchor ${anchorIssue}`);
  if (now < anchor.notBefore || now >= anchor.notAfter) reject('the trust anchor is outside its validity period');
  let validUntil = anchor.notAfter;
  // From the anchor down: max_path_length of RFC 5280 6.1.2 (k), with the anchor's own pathLenConstraint applied.
  let remaining = anchor.basicConstraints?.pathLen ?? Infinity;
  for (let index = path.length - 1; index >= 0; index--) {
    const certificate = path[index];
    const issuer = index === path.length - 1 ? anchor : path[index + 1];
    const isLeaf = index === 0;
    const what = isLeaf ? 'the signing certificate' : `intermediate certificate ${index}`;
    checkCertificate(certificate, what, now, minBits);
    if (!certificate.issuerName.equals(issuer.subjectName)) reject(`${what} does not name its issuer as issuer`);
    if (
      certificate.authorityKeyId !== undefined &&
      issuer.subjectKeyId !== undefined &&
      certificate.authorityKeyId !== issuer.subjectKeyId
    )
      reject(`${what} names another key of its issuer (authorityKeyIdentifier)`);
    validUntil = Math.min(validUntil, certificate.notAfter);
    if (!isLeaf) {
      if (certificate.basicConstraints === undefined) reject(`${what} has no basicConstraints: it is not a CA`);
      if (!certificate.basicConstraints.cA) reject(`${what} is not a CA (basicConstraints cA is false)`);
      if (certificate.keyUsage !== undefined && (certificate.keyUsage & KEY_USAGE.keyCertSign) === 0)
        reject(`${what} lacks keyUsage keyCertSign`);
      if (!certificate.selfIssued) {
        if (remaining <= 0) reject(`${what} exceeds the pathLenConstraint of a CA above it`);
        remaining -= 1;
      }
      const own = certificate.basicConstraints.pathLen;
      if (own !== undefined && own < remaining) remaining = own;
    } else {
      const problem = leafProblem(certificate, policy);
      if (problem !== undefined) reject(`${what} ${problem}`);
    }
  }
  for (let index = path.length - 1; index >= 0; index--) {
    const issuer = index === path.length - 1 ? anchor : path[index + 1];
    if (!isSignedBy(path[index], issuer.publicKey))
      reject(
        `${index === 0 ? 'the signing certificate' : `intermediate certificate ${index}`} has an invalid signature`,
      );
  }
  if (policy.revocation !== 'off') {
    for (let index = path.length - 1; index >= 0; index--) {
      const certificate = path[index];
      const issuer = index === path.length - 1 ? anchor : path[index + 1];
      const what = index === 0 ? 'the signing certificate' : `intermediate certificate ${index}`;
      let current: ParsedCrl | undefined;
      let stale = false;
      for (const crl of crls.crlsFor(issuer.subjectName)) {
        if (crls.problemOf(crl, issuer) !== undefined) continue;
        if (!isCrlCurrent(crl, now)) {
          stale = true;
          continue;
        }
        if (crl.revokedSerials.has(certificate.serialHex)) reject(`${what} is revoked`);
        current = crl;
        validUntil = Math.min(validUntil, crl.nextUpdate as number);
      }
      // With `if-present`, an authentic CRL of this CA that is out of date is not silently ignored either.
      if (current === undefined && (policy.revocation === 'require' || stale))
        reject(`no current CRL of its issuer covers ${what}`);
    }
  }
  return { validUntil };
}
