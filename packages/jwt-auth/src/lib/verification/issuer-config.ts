import { JwtAuthConfigError, type ConfigProblem } from '../errors/auth.errors';
import { ConfigProblems } from '../errors/config-problems';
import { ASYMMETRIC_ALGORITHMS, isSupportedAlgorithm, isSymmetricAlgorithm } from '../jws/algorithms';
import type { ClaimPolicy } from '../jwt/claims';
import type { ScopeClaim } from '../jwt/scopes';
import type { TokenTypeMode } from '../jwt/token-type';
import { DiscoveryKeySource } from '../keys/discovery.key-source';
import { isLoopbackHost } from '../keys/http-fetch';
import type { KeySource } from '../keys/key-source.interface';
import { RemoteJwksKeySource } from '../keys/remote-jwks.key-source';
import { REMOTE_JWKS_DEFAULTS, type RemoteJwksOptions } from '../keys/remote-jwks.options';
import { importHmacSecret, importStaticKeys, StaticKeySource, type StaticKeyValue } from '../keys/static.key-source';
import type { VerificationKey } from '../keys/verification-key';
import { X509TrustStore } from '../keys/x509/x509-trust-store';
import type { X509TrustOptions } from '../keys/x509/x509-trust.options';
import type { IssuerOptions, VerifierOptions } from './verifier-options.interface';

/** Default clock tolerance (seconds). */
export const DEFAULT_CLOCK_TOLERANCE = 60;
/** Largest clock tolerance accepted (seconds). */
export const MAX_CLOCK_TOLERANCE = 300;
/** Default memory bound of the verified-token cache: 32 MiB. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_BYTES = 32 * 1024 * 1024;
const MAX_VERIFIED_TOKEN_CACHE_BYTES = 4 * 1024 * 1024 * 1024;

/** Members of {@link VerifierOptions}; anything else is refused by name. */
export const VERIFIER_OPTION_NAMES = [
  'issuers',
  'maxTokenLength',
  'clockTolerance',
  'verifiedTokenCacheSize',
  'verifiedTokenCacheMaxBytes',
  'onKeySourceEvent',
  'now',
] as const satisfies readonly (keyof VerifierOptions)[];

/** Members of {@link IssuerOptions}; anything else is refused by name. */
export const ISSUER_OPTION_NAMES = [
  'issuer',
  'audience',
  'algorithms',
  'jwksUri',
  'discovery',
  'keys',
  'secret',
  'keySource',
  'trust',
  'scopeClaim',
  'tokenType',
  'requiredClaims',
  'requireSubject',
  'profile',
  'maxTokenAge',
  'clockTolerance',
  'allowInsecureHttp',
  'fetch',
] as const satisfies readonly (keyof IssuerOptions)[];

/** One issuer, validated and ready for the hot path. */
export interface IssuerRuntime {
  readonly issuer: string;
  readonly algorithms: ReadonlySet<string>;
  readonly keySource: KeySource;
  /** Validates tokens carrying `x5c` / `x5t` / `x5t#S256` / `jwk`; may also be `keySource` (trust store only). */
  readonly trustStore: X509TrustStore | undefined;
  readonly claims: ClaimPolicy;
  readonly scopeClaim: ScopeClaim;
  readonly tokenType: TokenTypeMode;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkUrl(option: string, value: string, allowInsecureHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new JwtAuthConfigError(option, `"${value}" is not an absolute URL`, 'give an absolute https:// URL');
  }
  if (url.username || url.password) {
    throw new JwtAuthConfigError(
      option,
      'the URL carries credentials',
      'remove user:password from the URL; key endpoints are public',
    );
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && allowInsecureHttp && isLoopbackHost(url.hostname)) return;
  if (url.protocol === 'http:' && allowInsecureHttp) {
    throw new JwtAuthConfigError(
      option,
      'allowInsecureHttp permits plain http on loopback hosts only',
      'use https for any host other than localhost / 127.0.0.1 / ::1',
    );
  }
  if (url.protocol === 'http:') {
    throw new JwtAuthConfigError(
      option,
      'plain http would let anyone on the path swap the keys',
      'use https, or set allowInsecureHttp: true for loopback development only',
    );
  }
  throw new JwtAuthConfigError(option, `protocol ${url.protocol} is not supported`, 'use an https:// URL');
}

function checkSeconds(option: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new JwtAuthConfigError(option, `must be a number of seconds from 0 to ${max}`, `set a value in that range`);
  }
  return value;
}

function checkFetchOptions(option: string, fetch: RemoteJwksOptions | undefined, problems: ConfigProblems): void {
  if (fetch === undefined) return;
  if (!isPlainObject(fetch)) return problems.add(option, 'must be an object', 'pass { timeoutMs, maxBodyBytes, ... }');
  const unknown = problems.rejectUnknown(option, fetch, Object.keys(REMOTE_JWKS_DEFAULTS), 'fetch');
  for (const [name, value] of Object.entries(fetch)) {
    if (unknown.includes(name)) continue;
    // A zero cooldown or refresh-ahead is meaningful (tests, aggressive rotation); every other value must be positive.
    const min = name === 'cooldownMs' || name === 'refreshAheadMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      problems.add(
        `${option}.${name}`,
        `must be an integer of at least ${min}`,
        `remove it to use the default (${REMOTE_JWKS_DEFAULTS[name as keyof RemoteJwksOptions]})`,
      );
    }
  }
}

/** Re-throw a key source's own configuration error under the issuer's option path. */
function withOptionPath<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof JwtAuthConfigError && !error.option.startsWith('issuers[')) {
      throw new JwtAuthConfigError(
        error.problems.map((problem) => ({ ...problem, option: `${path}.${problem.option}` })),
      );
    }
    throw error;
  }
}

function staticInputs(keys: IssuerOptions['keys']): StaticKeyValue[] {
  if (keys === undefined) return [];
  return (Array.isArray(keys) ? keys : [keys]) as StaticKeyValue[];
}

function buildKeySource(
  path: string,
  options: IssuerOptions,
  algorithms: ReadonlySet<string>,
  now: () => number,
  trustStore: X509TrustStore | undefined,
): KeySource {
  if (options.jwksUri !== undefined && options.discovery === true) {
    throw new JwtAuthConfigError(
      path,
      'sets both jwksUri and discovery: true',
      'keep jwksUri to fetch keys from it directly, or remove it to use OIDC discovery',
    );
  }
  const remote = options.jwksUri !== undefined || options.discovery === true;
  const local = options.keys !== undefined || options.secret !== undefined;
  const custom = options.keySource !== undefined;
  if ([remote, local, custom].filter(Boolean).length > 1) {
    throw new JwtAuthConfigError(
      path,
      'configures more than one kind of key source',
      'use exactly one of jwksUri / discovery, keys / secret, or keySource',
    );
  }
  const hmac = [...algorithms].filter(isSymmetricAlgorithm);
  if (hmac.length > 0 && options.secret === undefined) {
    throw new JwtAuthConfigError(
      `${path}.algorithms`,
      `${hmac.join(', ')} needs a locally configured secret; HMAC keys never come from a JWKS or a custom source`,
      'remove the HS algorithms, or configure `secret` (and no remote key source)',
    );
  }
  if (options.secret !== undefined && hmac.length === 0) {
    throw new JwtAuthConfigError(
      `${path}.secret`,
      'is set but no HS algorithm is allowed',
      'list HS256 (or HS384 / HS512) in algorithms',
    );
  }
  if (custom) {
    const source = options.keySource as KeySource;
    if (typeof source.getKeys !== 'function' || typeof source.getState !== 'function') {
      throw new JwtAuthConfigError(
        `${path}.keySource`,
        'does not implement KeySource',
        'provide getKeys() and getState()',
      );
    }
    return source;
  }
  const allowInsecureHttp = options.allowInsecureHttp === true;
  const remoteOptions = { ...options.fetch, allowInsecureHttp, algorithms, now };
  if (options.jwksUri !== undefined) {
    if (typeof options.jwksUri !== 'string')
      throw new JwtAuthConfigError(`${path}.jwksUri`, 'must be a string', 'give the JWKS URL');
    checkUrl(`${path}.jwksUri`, options.jwksUri, allowInsecureHttp);
    return withOptionPath(path, () => new RemoteJwksKeySource(options.jwksUri as string, remoteOptions));
  }
  // A trust store alone means no discovery and no JWKS: the service makes no outbound call for keys.
  if (!local && trustStore !== undefined && options.discovery !== true) return trustStore;
  if (!local) {
    if (options.discovery === false) {
      throw new JwtAuthConfigError(
        path,
        'has discovery: false and no other key source',
        'set jwksUri, keys, secret or keySource (or allow discovery)',
      );
    }
    checkUrl(`${path}.issuer (for OIDC discovery)`, options.issuer, allowInsecureHttp);
    return withOptionPath(path, () => new DiscoveryKeySource(options.issuer, remoteOptions));
  }
  const keys: VerificationKey[] = [];
  try {
    keys.push(...importStaticKeys(staticInputs(options.keys), { algorithms }));
  } catch (error) {
    throw new JwtAuthConfigError(
      `${path}.keys`,
      (error as Error).message,
      'configure public keys (SPKI/certificate PEM, JWK or JWKS) that fit the allowed algorithms',
    );
  }
  if (options.secret !== undefined) {
    try {
      keys.push(importHmacSecret(options.secret, { algorithms, allowSymmetric: true }));
    } catch (error) {
      throw new JwtAuthConfigError(
        `${path}.secret`,
        (error as Error).message,
        'use a random secret of at least 32 bytes (64 for HS512), e.g. crypto.randomBytes(64)',
      );
    }
  }
  if (keys.length === 0) throw new JwtAuthConfigError(`${path}.keys`, 'is empty', 'configure at least one key');
  return new StaticKeySource(keys);
}

function buildTrustStore(
  path: string,
  options: IssuerOptions,
  algorithms: ReadonlySet<string>,
  now: () => number,
): X509TrustStore | undefined {
  if (options.trust === undefined) return undefined;
  const context = { algorithms, now, allowInsecureHttp: options.allowInsecureHttp === true, fetch: options.fetch };
  return withOptionPath(path, () => new X509TrustStore(options.trust as X509TrustOptions, context, 'trust'));
}

function checkIssuer(path: string, issuer: unknown): string {
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new JwtAuthConfigError(`${path}.issuer`, 'is empty', 'set the exact "iss" value your tokens carry');
  }
  return issuer;
}

function checkAudiences(path: string, audience: unknown): readonly string[] {
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    audiences.some((a) => typeof a !== 'string' || a.length === 0)
  ) {
    throw new JwtAuthConfigError(
      `${path}.audience`,
      'is empty',
      'set the audience (or audiences) this service accepts, e.g. "orders-api"; accepting any audience would accept tokens meant for other services',
    );
  }
  return audiences as string[];
}

function checkAlgorithms(path: string, algorithms: unknown): ReadonlySet<string> {
  const algorithmList = algorithms ?? [...ASYMMETRIC_ALGORITHMS];
  if (!Array.isArray(algorithmList) || algorithmList.length === 0) {
    throw new JwtAuthConfigError(
      `${path}.algorithms`,
      'is empty',
      'list the algorithms your issuer signs with, e.g. ["RS256"]',
    );
  }
  const problems = new ConfigProblems();
  for (const alg of algorithmList) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      problems.add(
        `${path}.algorithms`,
        '"none" can never be allowed',
        'remove "none"; unsigned tokens are never accepted',
      );
    } else if (!isSupportedAlgorithm(alg)) {
      problems.add(
        `${path}.algorithms`,
        `${JSON.stringify(alg)} is not a supported JWS algorithm`,
        'use exact names such as RS256, PS256, ES256, EdDSA or HS256',
      );
    }
  }
  problems.throwIfAny();
  return new Set(algorithmList);
}

function normalizeIssuer(
  path: string,
  options: IssuerOptions,
  defaults: { clockTolerance: number; now: () => number },
  problems: ConfigProblems,
): IssuerRuntime | undefined {
  if (!isPlainObject(options)) {
    problems.add(path, 'must be an object', 'pass { issuer, audience, ... }');
    return undefined;
  }
  const before = problems.count;
  problems.rejectUnknown(path, options, ISSUER_OPTION_NAMES, 'an entry of issuers');
  const issuer = problems.check(() => checkIssuer(path, options.issuer));
  const audiences = problems.check(() => checkAudiences(path, options.audience));
  const algorithms = problems.check(() => checkAlgorithms(path, options.algorithms));
  const clockTolerance =
    options.clockTolerance === undefined
      ? defaults.clockTolerance
      : problems.check(() => checkSeconds(`${path}.clockTolerance`, options.clockTolerance, MAX_CLOCK_TOLERANCE));
  const maxTokenAge =
    options.maxTokenAge === undefined
      ? undefined
      : problems.check(() => checkSeconds(`${path}.maxTokenAge`, options.maxTokenAge, Number.MAX_SAFE_INTEGER));
  const scopeClaim = options.scopeClaim ?? 'scope';
  if (scopeClaim !== 'scope' && scopeClaim !== 'scp' && scopeClaim !== 'both')
    problems.add(`${path}.scopeClaim`, 'must be "scope", "scp" or "both"', 'pick the claim your issuer puts scopes in');
  const profile = options.profile;
  if (profile !== undefined && profile !== 'rfc9068')
    problems.add(`${path}.profile`, 'must be "rfc9068" when set', 'remove it, or use "rfc9068"');
  const requireSubject = options.requireSubject ?? true;
  if (typeof requireSubject !== 'boolean')
    problems.add(`${path}.requireSubject`, 'must be a boolean', 'remove it to require `sub`');
  else if (profile === 'rfc9068' && !requireSubject)
    problems.add(
      `${path}.requireSubject`,
      'is false, but the rfc9068 profile requires `sub`',
      'remove requireSubject, or the profile',
    );
  const tokenType = options.tokenType ?? (profile === 'rfc9068' ? 'strict' : 'access-token-or-jwt');
  if (tokenType !== 'access-token-or-jwt' && tokenType !== 'strict') {
    problems.add(
      `${path}.tokenType`,
      'must be "access-token-or-jwt" or "strict"',
      'use "strict" to accept only typ at+jwt',
    );
  }
  const requiredClaims = options.requiredClaims ?? [];
  if (!Array.isArray(requiredClaims) || requiredClaims.some((c) => typeof c !== 'string' || c.length === 0)) {
    problems.add(`${path}.requiredClaims`, 'must be an array of claim names', 'e.g. ["sub", "jti"]');
  }
  checkFetchOptions(`${path}.fetch`, options.fetch, problems);
  // The key source needs a valid algorithm list (and, for discovery, the issuer); its problems are reported even
  // when other fields have some too.
  const trustStore =
    algorithms === undefined
      ? undefined
      : problems.check(() => buildTrustStore(path, options, algorithms, defaults.now));
  // A trust block that failed its checks is reported alone, not followed by a discovery fallback it never asked for.
  const keySource =
    algorithms === undefined ||
    (issuer === undefined && options.jwksUri === undefined) ||
    (options.trust !== undefined && trustStore === undefined)
      ? undefined
      : problems.check(() => buildKeySource(path, options, algorithms, defaults.now, trustStore));
  if (problems.count > before || issuer === undefined || audiences === undefined || algorithms === undefined) {
    if (keySource !== options.keySource) keySource?.close?.();
    trustStore?.close();
    return undefined;
  }
  return Object.freeze({
    issuer,
    algorithms,
    keySource: keySource as KeySource,
    trustStore,
    claims: Object.freeze({
      issuer,
      audiences: new Set(audiences),
      audienceList: Object.freeze([...new Set(audiences)]),
      clockTolerance: clockTolerance as number,
      maxTokenAge,
      requiredClaims: [...requiredClaims],
      requiredStrings: Object.freeze(
        profile === 'rfc9068' ? ['sub', 'client_id', 'jti'] : requireSubject ? ['sub'] : [],
      ),
      requireIssuedAt: profile === 'rfc9068',
    }),
    scopeClaim,
    tokenType,
  });
}

// Nothing is fetched before warm-up, but sources built for a refused (or dry-run) configuration are closed so that
// none outlives it; a caller's own keySource is left alone.
function closeBuiltSources(runtimes: readonly IssuerRuntime[], given: readonly IssuerOptions[]): void {
  for (const runtime of runtimes) {
    if (!given.some((entry) => entry?.keySource === runtime.keySource)) runtime.keySource.close?.();
    runtime.trustStore?.close();
  }
}

/** The module's single-issuer shorthand, when found where the verifier expects `issuers`. */
function shorthandProblem(options: Record<string, unknown>): ConfigProblem | undefined {
  const shorthand = Object.keys(options).filter(
    (name) => (ISSUER_OPTION_NAMES as readonly string[]).includes(name) && name !== 'clockTolerance',
  );
  if (shorthand.length === 0) return undefined;
  return {
    option: 'issuers',
    problem: `is missing, and ${shorthand.join(', ')} ${shorthand.length === 1 ? 'is' : 'are'} set at the top level: that is the single-issuer shorthand of JwtAuthModule, which AccessTokenVerifier does not take`,
    fix: `pass new AccessTokenVerifier({ issuers: [{ ${shorthand.join(', ')} }] })`,
  };
}

/**
 * Validate verifier options and build one runtime per issuer. Runs once at construction (boot).
 * @throws JwtAuthConfigError listing every problem, each naming the option and the fix
 */
export function normalizeVerifierOptions(options: VerifierOptions): {
  issuers: Map<string, IssuerRuntime>;
  maxTokenLength: number;
  verifiedTokenCacheSize: number;
  verifiedTokenCacheMaxBytes: number;
} {
  if (!isPlainObject(options)) throw new JwtAuthConfigError('options', 'must be an object', 'pass { issuers: [...] }');
  const problems = new ConfigProblems();
  const shorthand = options.issuers === undefined ? shorthandProblem(options) : undefined;
  if (shorthand) {
    problems.add(shorthand.option, shorthand.problem, shorthand.fix);
  } else {
    problems.rejectUnknown('', options, VERIFIER_OPTION_NAMES, 'AccessTokenVerifier');
    if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
      problems.add('issuers', 'is empty', 'configure at least one trusted issuer with its audience and keys');
    }
  }
  const clockTolerance =
    options.clockTolerance === undefined
      ? DEFAULT_CLOCK_TOLERANCE
      : problems.check(() => checkSeconds('clockTolerance', options.clockTolerance, MAX_CLOCK_TOLERANCE));
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 1_048_576) {
    problems.add('maxTokenLength', 'must be an integer from 256 to 1048576', 'remove it to use the default (8192)');
  }
  const verifiedTokenCacheSize = options.verifiedTokenCacheSize ?? Number.MAX_SAFE_INTEGER;
  if (
    !Number.isInteger(verifiedTokenCacheSize) ||
    verifiedTokenCacheSize < 0 ||
    (options.verifiedTokenCacheSize !== undefined && verifiedTokenCacheSize > 10_000_000)
  ) {
    problems.add(
      'verifiedTokenCacheSize',
      'must be an integer from 0 to 10000000',
      'remove it to bound the cache by verifiedTokenCacheMaxBytes only, or 0 to disable the cache',
    );
  }
  const verifiedTokenCacheMaxBytes = options.verifiedTokenCacheMaxBytes ?? DEFAULT_VERIFIED_TOKEN_CACHE_BYTES;
  if (
    !Number.isInteger(verifiedTokenCacheMaxBytes) ||
    verifiedTokenCacheMaxBytes < 0 ||
    verifiedTokenCacheMaxBytes > MAX_VERIFIED_TOKEN_CACHE_BYTES
  ) {
    problems.add(
      'verifiedTokenCacheMaxBytes',
      `must be an integer from 0 to ${MAX_VERIFIED_TOKEN_CACHE_BYTES} (4 GiB)`,
      `remove it to use the default (${DEFAULT_VERIFIED_TOKEN_CACHE_BYTES}, 32 MiB), or 0 to disable the cache`,
    );
  }
  const now = options.now ?? Date.now;
  const issuers = new Map<string, IssuerRuntime>();
  const built: IssuerRuntime[] = [];
  (Array.isArray(options.issuers) ? options.issuers : []).forEach((issuerOptions, index) => {
    const runtime = normalizeIssuer(
      `issuers[${index}]`,
      issuerOptions,
      { clockTolerance: clockTolerance ?? DEFAULT_CLOCK_TOLERANCE, now },
      problems,
    );
    if (runtime === undefined) return;
    built.push(runtime);
    if (issuers.has(runtime.issuer)) {
      problems.add(
        `issuers[${index}].issuer`,
        `"${runtime.issuer}" is configured twice`,
        'configure each issuer once, listing all its audiences there',
      );
    } else {
      issuers.set(runtime.issuer, runtime);
    }
  });
  if (problems.count > 0) {
    closeBuiltSources(built, options.issuers);
    problems.throwIfAny();
  }
  return { issuers, maxTokenLength, verifiedTokenCacheSize, verifiedTokenCacheMaxBytes };
}

/** Every problem of `options` (as {@link normalizeVerifierOptions} would throw them), or none; builds nothing that lasts. */
export function verifierOptionProblems(options: VerifierOptions): readonly ConfigProblem[] {
  try {
    const { issuers } = normalizeVerifierOptions(options);
    closeBuiltSources([...issuers.values()], options.issuers);
    return [];
  } catch (error) {
    if (error instanceof JwtAuthConfigError) return error.problems;
    throw error;
  }
}
