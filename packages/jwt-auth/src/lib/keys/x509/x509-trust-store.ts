import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../../errors/auth.errors';
import { ConfigProblems } from '../../errors/config-problems';
import type { X509HeaderParams } from '../../jws/header';
import { fetchBinary } from '../http-fetch';
import { importJwk } from '../jwk';
import type { KeySource, KeySourceState } from '../key-source.interface';
import { REMOTE_JWKS_DEFAULTS } from '../remote-jwks.options';
import { KeyRejectedError, toVerificationKey, type VerificationKey } from '../verification-key';
import {
  CertificateRejectedError,
  parseCertificate,
  pemBlocks,
  thumbprints,
  type ParsedCertificate,
} from './certificate';
import { crlProblemFor, isCrlCurrent, parseCrl, type ParsedCrl } from './crl';
import { anchorProblem, leafProblem, linksTo, validatePath, type CrlView, type PathPolicy } from './path-validation';
import {
  X509_TRUST_DEFAULTS,
  X509_TRUST_OPTION_NAMES,
  type X509CertificateInput,
  type X509CrlInput,
  type X509TrustOptions,
} from './x509-trust.options';

/** Runtime settings a trust store takes from its issuer. */
export interface X509TrustContext {
  /** The issuer's algorithm allow-list. */
  readonly algorithms: ReadonlySet<string>;
  /** Clock in ms. @default Date.now */
  readonly now?: () => number;
  /** Allow `http:` CRL URLs on loopback hosts (tests). @default false */
  readonly allowInsecureHttp?: boolean;
  /** Deadline and size cap of CRL fetches. */
  readonly fetch?: { readonly timeoutMs?: number; readonly maxBodyBytes?: number };
}

interface ChainVerdict {
  readonly key: VerificationKey;
  /** `[key]`, frozen once, so the hot path allocates nothing. */
  readonly keys: readonly VerificationKey[];
  readonly leaf: ParsedCertificate;
  readonly sha1: string;
  readonly sha256: string;
  readonly validUntil: number;
  readonly epoch: number;
}

interface DeployedCertificate {
  readonly certificate: ParsedCertificate;
  /** Leaf first, without the anchor; `undefined` when no anchors are configured. */
  readonly path: readonly ParsedCertificate[] | undefined;
  readonly anchor: ParsedCertificate | undefined;
}

interface CrlFile {
  readonly path: string;
  mtimeMs: number;
  size: number;
  crls: readonly ParsedCrl[];
  lastError: string | undefined;
}

interface CrlUrl {
  readonly url: string;
  crl: ParsedCrl | undefined;
  nextFetchAt: number;
  inFlight: Promise<void> | undefined;
  failures: number;
  lastError: string | undefined;
}

const CRL_MEDIA_TYPES = ['application/pkix-crl', 'application/x-pkcs7-crl', 'application/octet-stream'];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const NOTHING: readonly VerificationKey[] = Object.freeze([]);

function fail(message: string): never {
  throw new AuthError(AuthErrorCode.CERTIFICATE_INVALID, message);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hexOf(buffer: Buffer): string {
  return buffer.toString('hex');
}

function listOf<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function loadCertificates(option: string, inputs: readonly X509CertificateInput[]): ParsedCertificate[] {
  const certificates: ParsedCertificate[] = [];
  inputs.forEach((input, index) => {
    const where = `${option}[${index}]`;
    let raw: Buffer;
    if (typeof input === 'string') raw = Buffer.from(input, 'utf8');
    else if (Buffer.isBuffer(input)) raw = input;
    else if (isPlainObject(input) && typeof input.path === 'string') {
      try {
        raw = readFileSync(input.path);
      } catch {
        throw new JwtAuthConfigError(
          where,
          `file ${input.path} cannot be read`,
          'give the path of a PEM or DER certificate file',
        );
      }
    } else throw new JwtAuthConfigError(where, 'is not a certificate', 'give PEM text, DER bytes or { path }');
    const blocks = pemBlocks(raw.toString('latin1'), ['CERTIFICATE'], raw);
    if (blocks.length === 0)
      throw new JwtAuthConfigError(
        where,
        'holds no certificate',
        'give PEM "BEGIN CERTIFICATE" blocks or a DER certificate',
      );
    for (const der of blocks) {
      try {
        certificates.push(parseCertificate(der));
      } catch (error) {
        throw new JwtAuthConfigError(where, (error as Error).message, 'give well-formed X.509 certificates');
      }
    }
  });
  return certificates;
}

function positiveInteger(option: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new JwtAuthConfigError(
      option,
      `must be an integer of at least ${min}`,
      `remove it to use the default (${fallback})`,
    );
  return value;
}

/**
 * The third way of trusting a key, next to JWKS/discovery and static keys: tokens whose header carries an `x5c`
 * chain (or an `x5t` / `x5t#S256` thumbprint of a deployed certificate, or an embedded `jwk` vouched for by such a
 * chain) are verified with the signing certificate's key once RFC 5280 path validation to this issuer's anchors
 * succeeds. Fully offline unless CRL URLs are configured. Validated chains are cached until their earliest
 * `notAfter` or the next CRL change. Also a {@link KeySource} (serving no `kid` keys) for issuers trusted this way only.
 */
export class X509TrustStore implements KeySource {
  private readonly anchors: readonly ParsedCertificate[];
  private readonly anchorsByFingerprint = new Map<string, ParsedCertificate>();
  private readonly anchorsBySubject = new Map<string, ParsedCertificate[]>();
  private readonly bySha1 = new Map<string, DeployedCertificate>();
  private readonly bySha256 = new Map<string, DeployedCertificate>();
  private readonly deployedCount: number;
  private readonly policy: PathPolicy;
  private readonly algorithms: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly maxChainLength: number;
  private readonly maxCertificateBytes: number;
  private readonly chainCacheSize: number;
  private readonly crlCheckIntervalMs: number;
  private readonly crlRefreshMs: number;
  private readonly fetchOptions: { timeoutMs: number; maxBodyBytes: number; allowInsecureHttp: boolean };
  private readonly crlFiles: CrlFile[] = [];
  private readonly crlUrls: CrlUrl[] = [];
  private crlsBySubject = new Map<string, ParsedCrl[]>();
  private readonly crlProblems = new Map<string, string | null>();
  private lastCrlCheck = -Infinity;
  private epoch = 0;
  private readonly chains = new Map<string, ChainVerdict>();
  // Tokens of one signer share a parsed header (see compact.ts), so its x5c array object is a free cache key.
  private readonly chainsByArray = new WeakMap<object, ChainVerdict>();
  private readonly jwkKeys = new WeakMap<object, Buffer>();
  private closed = false;

  /** @throws JwtAuthConfigError naming the option (under `option`) and the fix */
  constructor(options: X509TrustOptions, context: X509TrustContext, option = 'trust') {
    if (!isPlainObject(options as unknown))
      throw new JwtAuthConfigError(option, 'must be an object', 'pass { anchors: [...] }');
    const unknown = new ConfigProblems();
    unknown.rejectUnknown(option, options, X509_TRUST_OPTION_NAMES, 'trust');
    unknown.throwIfAny();
    this.algorithms = context.algorithms;
    this.now = context.now ?? Date.now;
    const now = this.now();
    this.maxChainLength = positiveInteger(
      `${option}.maxChainLength`,
      options.maxChainLength,
      X509_TRUST_DEFAULTS.maxChainLength,
    );
    if (this.maxChainLength > 10)
      throw new JwtAuthConfigError(
        `${option}.maxChainLength`,
        'is above 10',
        'real token-signing chains hold 2 to 4 certificates',
      );
    this.maxCertificateBytes = positiveInteger(
      `${option}.maxCertificateBytes`,
      options.maxCertificateBytes,
      X509_TRUST_DEFAULTS.maxCertificateBytes,
      256,
    );
    this.chainCacheSize = positiveInteger(
      `${option}.chainCacheSize`,
      options.chainCacheSize,
      X509_TRUST_DEFAULTS.chainCacheSize,
      0,
    );
    this.crlCheckIntervalMs = positiveInteger(
      `${option}.crlCheckIntervalMs`,
      options.crlCheckIntervalMs,
      X509_TRUST_DEFAULTS.crlCheckIntervalMs,
      0,
    );
    this.crlRefreshMs = positiveInteger(
      `${option}.crlRefreshMs`,
      options.crlRefreshMs,
      X509_TRUST_DEFAULTS.crlRefreshMs,
      1000,
    );
    this.fetchOptions = {
      timeoutMs: context.fetch?.timeoutMs ?? REMOTE_JWKS_DEFAULTS.timeoutMs,
      maxBodyBytes: context.fetch?.maxBodyBytes ?? REMOTE_JWKS_DEFAULTS.maxBodyBytes,
      allowInsecureHttp: context.allowInsecureHttp === true,
    };

    const leafNames = listOf(options.leafName);
    if (leafNames.some((name) => typeof name !== 'string' || name.length === 0))
      throw new JwtAuthConfigError(
        `${option}.leafName`,
        'must be a non-empty string or a list of them',
        'e.g. "tokens.example.com"',
      );
    const eku = options.extendedKeyUsage;
    if (
      eku !== undefined &&
      (!Array.isArray(eku) ||
        eku.length === 0 ||
        eku.some((oid) => typeof oid !== 'string' || !/^\d+(\.\d+)+$/.test(oid)))
    )
      throw new JwtAuthConfigError(
        `${option}.extendedKeyUsage`,
        'must be a non-empty list of OIDs',
        'e.g. ["1.3.6.1.5.5.7.3.1"]',
      );
    const crlInputs = options.crls ?? [];
    if (!Array.isArray(crlInputs))
      throw new JwtAuthConfigError(`${option}.crls`, 'must be an array', 'pass [{ path }, { url }]');
    const revocation = options.revocation ?? (crlInputs.length > 0 ? 'if-present' : 'off');
    if (revocation !== 'require' && revocation !== 'if-present' && revocation !== 'off')
      throw new JwtAuthConfigError(
        `${option}.revocation`,
        'must be "require", "if-present" or "off"',
        'pick one of them',
      );
    this.policy = Object.freeze({
      leafNames: leafNames.length > 0 ? new Set(leafNames) : undefined,
      extendedKeyUsage: eku ? new Set(eku) : undefined,
      revocation,
      minRsaModulusLength: 2048,
    });

    this.anchors = loadCertificates(`${option}.anchors`, listOf(options.anchors));
    this.anchors.forEach((anchor, index) => {
      const problem = anchorProblem(anchor, this.policy.minRsaModulusLength);
      if (problem)
        throw new JwtAuthConfigError(
          `${option}.anchors`,
          `certificate ${index} ${problem}`,
          'configure CA certificates (your root or issuing CA) as anchors',
        );
      if (now >= anchor.notAfter)
        throw new JwtAuthConfigError(
          `${option}.anchors`,
          `certificate ${index} has expired`,
          "replace it with the CA's current certificate",
        );
      this.anchorsByFingerprint.set(anchor.fingerprint, anchor);
      const key = hexOf(anchor.subjectName);
      this.anchorsBySubject.set(key, [...(this.anchorsBySubject.get(key) ?? []), anchor]);
    });

    const deployed = loadCertificates(`${option}.signingCertificates`, listOf(options.signingCertificates));
    const intermediates = deployed.filter((c) => c.basicConstraints?.cA === true);
    const signers = deployed.filter((c) => c.basicConstraints?.cA !== true);
    if (deployed.length > 0 && signers.length === 0)
      throw new JwtAuthConfigError(
        `${option}.signingCertificates`,
        'holds CA certificates only',
        'add the token-signing (non-CA) certificates',
      );
    if (this.anchors.length === 0 && signers.length === 0)
      throw new JwtAuthConfigError(
        option,
        'has neither anchors nor signingCertificates',
        'configure the CA certificates tokens must chain to',
      );
    if (revocation === 'require' && this.anchors.length === 0)
      throw new JwtAuthConfigError(
        `${option}.revocation`,
        '"require" needs anchors to authenticate CRLs',
        'configure anchors, or use "if-present"',
      );

    for (const input of crlInputs) this.addCrlSource(`${option}.crls`, input);
    this.rebuildCrlIndex();
    this.checkCrlsAtBoot(`${option}.crls`, intermediates);

    for (const certificate of signers) {
      const where = `${option}.signingCertificates`;
      if (now >= certificate.notAfter)
        throw new JwtAuthConfigError(
          where,
          `certificate "${certificate.commonNames[0] ?? certificate.serialHex}" has expired`,
          "deploy the issuer's current signing certificate",
        );
      let path: ParsedCertificate[] | undefined;
      let anchor: ParsedCertificate | undefined;
      const leafIssue = leafProblem(certificate, this.policy);
      if (leafIssue !== undefined)
        throw new JwtAuthConfigError(
          where,
          `certificate "${certificate.commonNames[0] ?? certificate.serialHex}" ${leafIssue}`,
          'deploy the token-signing certificate of your issuer',
        );
      if (this.anchors.length > 0) {
        path = [certificate];
        while (path.length <= this.maxChainLength) {
          const top = path[path.length - 1];
          anchor = this.anchorsBySubject.get(hexOf(top.issuerName))?.find((a) => linksTo(top, a));
          if (anchor) break;
          const next = intermediates.find((c) => !path?.includes(c) && linksTo(top, c));
          if (!next) break;
          path.push(next);
        }
        if (!anchor)
          throw new JwtAuthConfigError(
            where,
            `certificate "${certificate.commonNames[0] ?? certificate.serialHex}" does not chain to the anchors`,
            'add its intermediate CA certificates to the bundle, or the right anchor',
          );
        try {
          validatePath(path, anchor, this.policy, now, this.crlView());
        } catch (error) {
          throw new JwtAuthConfigError(
            where,
            `certificate "${certificate.commonNames[0] ?? certificate.serialHex}": ${(error as Error).message}`,
            'deploy a certificate that validates to the anchors',
          );
        }
      }
      const entry: DeployedCertificate = { certificate, path, anchor };
      const prints = thumbprints(certificate.der);
      this.bySha1.set(prints.sha1, entry);
      this.bySha256.set(prints.sha256, entry);
    }
    this.deployedCount = signers.length;
  }

  /**
   * The key vouched for by a token's X.509 header members, after full validation (cached per exact chain).
   * @throws AuthError `certificate_invalid`, `token_malformed`, `key_not_found` or `algorithm_not_allowed`
   */
  resolve(params: X509HeaderParams, alg: string): VerificationKey {
    return this.keysFor(params, alg)[0];
  }

  /**
   * {@link resolve} as the verifier's candidate list (one key).
   * @throws AuthError as {@link resolve}
   */
  keysFor(params: X509HeaderParams, alg: string): readonly VerificationKey[] {
    const { x5t, x5tS256, jwk } = params;
    if (x5t !== undefined && (typeof x5t !== 'string' || x5t.length !== 27))
      throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "x5t" must be a base64url SHA-1 thumbprint');
    if (x5tS256 !== undefined && (typeof x5tS256 !== 'string' || x5tS256.length !== 43))
      throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "x5t#S256" must be a base64url SHA-256 thumbprint');
    let chain = params.x5c;
    if (jwk !== undefined) {
      if (!isPlainObject(jwk)) throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "jwk" must be an object');
      const own = jwk['x5c'];
      if (chain !== undefined && own !== undefined && !sameStrings(chain, own))
        fail('the "jwk" member\'s x5c differs from the header x5c');
      chain ??= own;
      if (chain === undefined)
        fail('an embedded "jwk" is trusted only together with a certificate chain that certifies it');
    }
    let verdict: ChainVerdict;
    if (chain !== undefined) {
      verdict = this.chainVerdict(chain);
      if ((x5t !== undefined && x5t !== verdict.sha1) || (x5tS256 !== undefined && x5tS256 !== verdict.sha256))
        fail('the thumbprint does not match the first x5c certificate');
    } else {
      const deployed =
        (x5tS256 !== undefined ? this.bySha256.get(x5tS256 as string) : undefined) ??
        (x5tS256 === undefined && x5t !== undefined ? this.bySha1.get(x5t as string) : undefined);
      if (!deployed)
        throw new AuthError(AuthErrorCode.KEY_NOT_FOUND, 'no deployed signing certificate has this thumbprint');
      if (x5t !== undefined && x5tS256 !== undefined && thumbprints(deployed.certificate.der).sha1 !== x5t)
        fail('the x5t and x5t#S256 thumbprints name different certificates');
      verdict = this.deployedVerdict(deployed);
    }
    if (jwk !== undefined && !this.jwkKeyOf(jwk as Record<string, unknown>).equals(verdict.leaf.spki))
      fail(
        verdict.leaf.basicConstraints?.cA === true
          ? 'the "jwk" sits next to a CA certificate, which does not vouch for a key it did not certify'
          : 'the "jwk" is not the signing certificate\'s key',
      );
    if (!verdict.key.algorithms.has(alg as never))
      throw new AuthError(AuthErrorCode.ALGORITHM_NOT_ALLOWED, 'the signing certificate\'s key does not fit "alg"', {
        alg,
      });
    return verdict.keys;
  }

  private jwkKeyOf(jwk: Record<string, unknown>): Buffer {
    let spki = this.jwkKeys.get(jwk);
    if (!spki) {
      // The jwk's own x5c is the chain already validated; the key is the rest.
      const members = Object.fromEntries(Object.entries(jwk).filter(([name]) => name !== 'x5c'));
      try {
        spki = importJwk(members).key.export({ type: 'spki', format: 'der' });
      } catch (error) {
        fail(`the embedded "jwk" is refused: ${error instanceof KeyRejectedError ? error.message : 'invalid key'}`);
      }
      this.jwkKeys.set(jwk, spki);
    }
    return spki;
  }

  private chainVerdict(x5c: unknown): ChainVerdict {
    const now = this.now();
    this.refreshCrls(now);
    const byArray = typeof x5c === 'object' && x5c !== null ? this.chainsByArray.get(x5c) : undefined;
    if (byArray !== undefined && byArray.epoch === this.epoch && now < byArray.validUntil) return byArray;
    if (!Array.isArray(x5c) || x5c.length === 0)
      throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "x5c" must be a non-empty array of base64 certificates');
    if (x5c.length > this.maxChainLength) fail(`the x5c chain holds more than ${this.maxChainLength} certificates`);
    const hash = createHash('sha256');
    for (const entry of x5c) {
      if (
        typeof entry !== 'string' ||
        entry.length > Math.ceil(this.maxCertificateBytes / 3) * 4 ||
        !BASE64.test(entry)
      )
        throw new AuthError(
          AuthErrorCode.TOKEN_MALFORMED,
          'JWS "x5c" entries must be base64 DER certificates within the size limit',
        );
      hash.update(entry).update(',');
    }
    const cacheKey = hash.digest('base64');
    const cached = this.chains.get(cacheKey);
    if (cached !== undefined && cached.epoch === this.epoch && now < cached.validUntil) {
      this.chainsByArray.set(x5c, cached);
      return cached;
    }
    if (cached !== undefined) this.chains.delete(cacheKey);
    const verdict = this.validateX5c(x5c as string[], now);
    if (this.chainCacheSize > 0) {
      this.remember(cacheKey, verdict);
      this.chainsByArray.set(x5c, verdict);
    }
    return verdict;
  }

  private remember(cacheKey: string, verdict: ChainVerdict): void {
    if (this.chainCacheSize === 0) return;
    if (this.chains.size >= this.chainCacheSize) {
      const oldest = this.chains.keys().next();
      if (!oldest.done) this.chains.delete(oldest.value);
    }
    this.chains.set(cacheKey, verdict);
  }

  private validateX5c(x5c: readonly string[], now: number): ChainVerdict {
    if (new Set(x5c).size !== x5c.length) fail('the x5c chain repeats a certificate');
    const certificates: ParsedCertificate[] = [];
    for (const entry of x5c) {
      const der = Buffer.from(entry, 'base64');
      // RFC 7515 4.1.6: base64 (not base64url) DER; a non-canonical encoding would give one chain two cache keys.
      if (der.toString('base64') !== entry)
        throw new AuthError(AuthErrorCode.TOKEN_MALFORMED, 'JWS "x5c" entry is not canonical base64');
      try {
        certificates.push(parseCertificate(der));
      } catch (error) {
        fail(`x5c: ${(error as Error).message}`);
      }
    }
    const last = certificates[certificates.length - 1];
    let path = certificates;
    let candidates: readonly ParsedCertificate[];
    const presentedAnchor = this.anchorsByFingerprint.get(last.fingerprint);
    if (presentedAnchor !== undefined) {
      if (certificates.length === 1) fail('the x5c chain is only a trust anchor; an anchor does not sign tokens');
      // RFC 7515 lets the chain end with the root; it is then the anchor itself, never a certificate to validate.
      path = certificates.slice(0, -1);
      candidates = [presentedAnchor];
    } else {
      // Cheap first: an unrelated chain is refused here by name and key identifier, before any signature check.
      candidates = (this.anchorsBySubject.get(hexOf(last.issuerName)) ?? []).filter((anchor) => linksTo(last, anchor));
      if (candidates.length === 0) fail('the x5c chain does not lead to a trust anchor of this issuer');
    }
    for (let i = 0; i + 1 < path.length; i++) {
      if (!linksTo(path[i], path[i + 1]))
        fail('the x5c chain is not in order: each certificate must be certified by the next (RFC 7515 4.1.6)');
    }
    let firstError: unknown;
    for (const anchor of candidates) {
      try {
        const { validUntil } = validatePath(path, anchor, this.policy, now, this.crlView());
        return this.verdictFor(path[0], validUntil);
      } catch (error) {
        firstError ??= error;
      }
    }
    if (firstError instanceof CertificateRejectedError) fail(firstError.message);
    throw firstError;
  }

  private deployedVerdict(deployed: DeployedCertificate): ChainVerdict {
    const now = this.now();
    this.refreshCrls(now);
    const cacheKey = `deployed:${deployed.certificate.fingerprint}`;
    const cached = this.chains.get(cacheKey);
    if (cached !== undefined && cached.epoch === this.epoch && now < cached.validUntil) return cached;
    let validUntil: number;
    const certificate = deployed.certificate;
    try {
      if (deployed.path && deployed.anchor) {
        validUntil = validatePath(deployed.path, deployed.anchor, this.policy, now, this.crlView()).validUntil;
      } else {
        if (now < certificate.notBefore) fail('the deployed signing certificate is not yet valid');
        if (now >= certificate.notAfter) fail('the deployed signing certificate has expired');
        validUntil = certificate.notAfter;
      }
    } catch (error) {
      if (error instanceof CertificateRejectedError) fail(error.message);
      throw error;
    }
    const verdict = this.verdictFor(certificate, validUntil);
    this.remember(cacheKey, verdict);
    return verdict;
  }

  private verdictFor(leaf: ParsedCertificate, validUntil: number): ChainVerdict {
    let key: VerificationKey;
    try {
      key = toVerificationKey(leaf.publicKey, undefined, undefined, this.algorithms, this.policy);
    } catch (error) {
      fail(`the signing certificate's key is refused: ${(error as Error).message}`);
    }
    const prints = thumbprints(leaf.der);
    return Object.freeze({
      key,
      keys: Object.freeze([key]),
      leaf,
      sha1: prints.sha1,
      sha256: prints.sha256,
      validUntil,
      epoch: this.epoch,
    });
  }

  private crlView(): CrlView {
    return {
      crlsFor: (subject) => this.crlsBySubject.get(hexOf(subject)) ?? [],
      problemOf: (crl, ca) => {
        const memoKey = `${crl.fingerprint}:${ca.fingerprint}`;
        let problem = this.crlProblems.get(memoKey);
        if (problem === undefined) {
          problem = crlProblemFor(crl, ca) ?? null;
          if (this.crlProblems.size > 1000) this.crlProblems.clear();
          this.crlProblems.set(memoKey, problem);
        }
        return problem ?? undefined;
      },
    };
  }

  private addCrlSource(option: string, crlInput: X509CrlInput): void {
    const input = crlInput as unknown;
    if (isPlainObject(input) && typeof input['path'] === 'string') {
      const file: CrlFile = { path: input['path'] as string, mtimeMs: -1, size: -1, crls: [], lastError: undefined };
      try {
        this.loadCrlFile(file, true);
      } catch (error) {
        throw new JwtAuthConfigError(
          option,
          `${file.path}: ${(error as Error).message}`,
          'give a PEM or DER CRL file signed by one of your CAs',
        );
      }
      this.crlFiles.push(file);
    } else if (isPlainObject(input) && typeof input['url'] === 'string') {
      const url = input['url'] as string;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new JwtAuthConfigError(option, `"${url}" is not an absolute URL`, 'give an https:// URL');
      }
      const loopbackHttp =
        parsed.protocol === 'http:' &&
        this.fetchOptions.allowInsecureHttp &&
        /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(parsed.hostname);
      if (parsed.protocol !== 'https:' && !loopbackHttp)
        throw new JwtAuthConfigError(
          option,
          `"${url}" is not https`,
          'use https (plain http only on loopback with allowInsecureHttp)',
        );
      this.crlUrls.push({
        url,
        crl: undefined,
        nextFetchAt: 0,
        inFlight: undefined,
        failures: 0,
        lastError: undefined,
      });
    } else
      throw new JwtAuthConfigError(
        option,
        'holds an entry that is neither { path } nor { url }',
        'pass [{ path: "ca.crl" }]',
      );
  }

  // Reads a CRL file when its size or mtime changed; returns true when its contents changed.
  private loadCrlFile(file: CrlFile, strict: boolean): boolean {
    let stat;
    try {
      stat = statSync(file.path);
    } catch {
      if (strict) throw new Error('cannot be read');
      file.lastError = 'cannot be read';
      return false;
    }
    if (stat.mtimeMs === file.mtimeMs && stat.size === file.size) return false;
    try {
      const raw = readFileSync(file.path);
      const blocks = pemBlocks(raw.toString('latin1'), ['X509 CRL', 'CRL'], raw);
      if (blocks.length === 0) throw new Error('holds no CRL');
      const crls = blocks.map((der) => parseCrl(der));
      file.mtimeMs = stat.mtimeMs;
      file.size = stat.size;
      const changed = crls.map((c) => c.fingerprint).join() !== file.crls.map((c) => c.fingerprint).join();
      file.crls = crls;
      file.lastError = undefined;
      return changed;
    } catch (error) {
      if (strict) throw error;
      // A half-written or broken file keeps the previous CRLs, which stay usable only until their nextUpdate.
      file.lastError = (error as Error).message;
      return false;
    }
  }

  private rebuildCrlIndex(): void {
    const index = new Map<string, ParsedCrl[]>();
    const all = [...this.crlFiles.flatMap((f) => f.crls), ...this.crlUrls.flatMap((u) => (u.crl ? [u.crl] : []))];
    for (const crl of all) {
      const key = hexOf(crl.issuerName);
      index.set(key, [...(index.get(key) ?? []), crl]);
    }
    this.crlsBySubject = index;
    this.epoch += 1;
    this.chains.clear();
  }

  private checkCrlsAtBoot(option: string, intermediates: readonly ParsedCertificate[]): void {
    const known = [...this.anchors, ...intermediates];
    for (const file of this.crlFiles) {
      for (const crl of file.crls) {
        const sameName = known.filter((ca) => ca.subjectName.equals(crl.issuerName));
        // A CRL of an intermediate that only arrives in x5c is authenticated when that chain is validated.
        if (sameName.length === 0) continue;
        const problems = sameName.map((ca) => crlProblemFor(crl, ca));
        if (!problems.includes(undefined))
          throw new JwtAuthConfigError(
            option,
            `${file.path}: no configured CA signed this CRL (it ${problems[0]})`,
            'give the CRL published by the CA that issued your certificates',
          );
      }
    }
  }

  private refreshCrls(now: number): void {
    if (this.crlFiles.length > 0) {
      const clock = Date.now();
      if (clock - this.lastCrlCheck >= this.crlCheckIntervalMs) {
        this.lastCrlCheck = clock;
        let changed = false;
        for (const file of this.crlFiles) changed = this.loadCrlFile(file, false) || changed;
        if (changed) this.rebuildCrlIndex();
      }
    }
    for (const source of this.crlUrls) {
      const due = now >= source.nextFetchAt || (source.crl?.nextUpdate !== undefined && now >= source.crl.nextUpdate);
      if (due && source.inFlight === undefined && !this.closed) source.inFlight = this.fetchCrl(source);
    }
  }

  private async fetchCrl(source: CrlUrl): Promise<void> {
    try {
      const body = await fetchBinary(source.url, CRL_MEDIA_TYPES, this.fetchOptions);
      const blocks = pemBlocks(body.toString('latin1'), ['X509 CRL', 'CRL'], body);
      if (blocks.length !== 1) throw new Error('the body is not one CRL');
      const crl = parseCrl(blocks[0]);
      source.failures = 0;
      source.lastError = undefined;
      source.nextFetchAt = this.now() + this.crlRefreshMs;
      if (crl.fingerprint !== source.crl?.fingerprint) {
        source.crl = crl;
        this.rebuildCrlIndex();
      }
    } catch (error) {
      // The last CRL fetched stays in use; it stops counting on its own at its nextUpdate.
      source.failures += 1;
      source.lastError = error instanceof Error ? error.message : 'fetch failed';
      source.nextFetchAt = this.now() + Math.min(1000 * 2 ** Math.min(source.failures, 16), 300_000);
    } finally {
      source.inFlight = undefined;
    }
  }

  /** No key is addressed by `kid` here: X.509 tokens reach {@link resolve} through their header. */
  getKeys(): Promise<readonly VerificationKey[]> {
    return Promise.resolve(NOTHING);
  }

  /** Always at hand: the trust store never waits for I/O on the verification path. */
  getKeysSync(): readonly VerificationKey[] {
    return NOTHING;
  }

  /** State for health checks: CRL sources failing or out of date make it `stale`. */
  getState(): KeySourceState {
    const now = this.now();
    const errors = [...this.crlFiles.map((f) => f.lastError), ...this.crlUrls.map((u) => u.lastError)].filter(
      (e): e is string => e !== undefined,
    );
    const allCrls = [...this.crlFiles.flatMap((f) => f.crls), ...this.crlUrls.flatMap((u) => (u.crl ? [u.crl] : []))];
    const outdated = allCrls.some((crl) => !isCrlCurrent(crl, now));
    return {
      kind: 'x509',
      status: errors.length > 0 || outdated ? 'stale' : 'fresh',
      keyIds: [],
      keyCount: this.anchors.length + this.deployedCount,
      lastError: errors[0] ?? (outdated ? 'a configured CRL is not current' : undefined),
      consecutiveFailures: this.crlUrls.reduce((sum, u) => sum + u.failures, 0),
    };
  }

  /** Fetch CRL URLs ahead of the first token; never rejects. */
  async warmUp(): Promise<void> {
    this.refreshCrls(this.now());
    await Promise.all(this.crlUrls.map((source) => source.inFlight));
  }

  /** Stop fetching CRLs. */
  close(): void {
    this.closed = true;
  }
}

function sameStrings(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, i) => value === b[i]);
}
