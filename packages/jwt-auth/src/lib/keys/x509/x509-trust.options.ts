import type { RevocationMode } from './path-validation';

/** A certificate (or bundle) given inline as PEM text, as DER / PEM bytes, or as a file holding either. */
export type X509CertificateInput = string | Buffer | { readonly path: string };

/** Where a CRL comes from: a file (PEM or DER, re-read when it changes) or an URL fetched with the JWKS limits. */
export type X509CrlInput = { readonly path: string } | { readonly url: string };

/**
 * The X.509 trust store of one issuer: tokens whose header carries `x5c`, `x5t` / `x5t#S256` or an embedded `jwk`
 * are verified through it, fully offline.
 * @example
 * trust: { anchors: [{ path: '/etc/pki/company-root.pem' }], crls: [{ path: '/var/lib/pki/issuing-ca.crl' }] }
 */
export interface X509TrustOptions {
  /** CA certificates that `x5c` chains must end at (PEM text, bytes or `{ path }`; bundles allowed). */
  readonly anchors?: X509CertificateInput | readonly X509CertificateInput[];
  /**
   * Token-signing certificates deployed with the service, selected by `x5t` / `x5t#S256`; CA certificates in these
   * bundles serve as intermediates that link them to `anchors` (checked at boot when anchors are set).
   */
  readonly signingCertificates?: X509CertificateInput | readonly X509CertificateInput[];
  /** Certificate revocation lists. */
  readonly crls?: readonly X509CrlInput[];
  /**
   * `require`: every certificate in a path must be covered by a current CRL of its issuing CA; `if-present`: checked
   * where an authentic CRL of the issuing CA is configured (which must then be current); `off`: not checked.
   * @default 'if-present' when `crls` are given, else 'off'
   */
  readonly revocation?: RevocationMode;
  /** The signing certificate must carry one of these as a DNS subjectAltName or subject CN. */
  readonly leafName?: string | readonly string[];
  /** The signing certificate must carry one of these extended key usage OIDs. */
  readonly extendedKeyUsage?: readonly string[];
  /** Most certificates accepted in `x5c` (the signing certificate included). @default 5 */
  readonly maxChainLength?: number;
  /** Largest accepted DER certificate in `x5c`, in bytes. @default 8192 */
  readonly maxCertificateBytes?: number;
  /** Validated chains kept, keyed by the exact `x5c` strings; distinct hostile chains are never stored. @default 500 */
  readonly chainCacheSize?: number;
  /** How often CRL files are checked for a change, in ms (0: on every chain validation). @default 5000 */
  readonly crlCheckIntervalMs?: number;
  /** How often CRL URLs are fetched again, in ms, and earlier when a CRL reaches its `nextUpdate`. @default 3600000 */
  readonly crlRefreshMs?: number;
}

/** Defaults of {@link X509TrustOptions}. */
export const X509_TRUST_DEFAULTS = Object.freeze({
  maxChainLength: 5,
  maxCertificateBytes: 8192,
  chainCacheSize: 500,
  crlCheckIntervalMs: 5000,
  crlRefreshMs: 3_600_000,
});

/** Members of {@link X509TrustOptions}; anything else is refused by name. */
export const X509_TRUST_OPTION_NAMES = [
  'anchors',
  'signingCertificates',
  'crls',
  'revocation',
  'leafName',
  'extendedKeyUsage',
  'maxChainLength',
  'maxCertificateBytes',
  'chainCacheSize',
  'crlCheckIntervalMs',
  'crlRefreshMs',
] as const satisfies readonly (keyof X509TrustOptions)[];
