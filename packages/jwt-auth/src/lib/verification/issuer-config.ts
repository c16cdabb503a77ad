import { JwtAuthConfigError } from '../errors/auth.errors';
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

function checkFetchOptions(option: string, fetch: RemoteJwksOptions | undefined): void {
  if (fetch === undefined) return;
  if (!isPlainObject(fetch))
    throw new JwtAuthConfigError(option, 'must be an object', 'pass { timeoutMs, maxBodyBytes, ... }');
  for (const [name, value] of Object.entries(fetch)) {
    if (!(name in REMOTE_JWKS_DEFAULTS))
      throw new JwtAuthConfigError(
        `${option}.${name}`,
        'is not a known option',
        `use one of ${Object.keys(REMOTE_JWKS_DEFAULTS).join(', ')}`,
      );
    // A zero cooldown or refresh-ahead is meaningful (tests, aggressive rotation); every other value must be positive.
    const min = name === 'cooldownMs' || name === 'refreshAheadMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new JwtAuthConfigError(
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
      throw new JwtAuthConfigError(`${path}.${error.option}`, error.problem, error.fix);
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

function normalizeIssuer(
  path: string,
  options: IssuerOptions,
  defaults: { clockTolerance: number; now: () => number },
): IssuerRuntime {
  if (!isPlainObject(options))
    throw new JwtAuthConfigError(path, 'must be an object', 'pass { issuer, audience, ... }');
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new JwtAuthConfigError(`${path}.issuer`, 'is empty', 'set the exact "iss" value your tokens carry');
  }
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
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
  const algorithmList = options.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
  if (!Array.isArray(algorithmList) || algorithmList.length === 0) {
    throw new JwtAuthConfigError(
      `${path}.algorithms`,
      'is empty',
      'list the algorithms your issuer signs with, e.g. ["RS256"]',
    );
  }
  for (const alg of algorithmList) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw new JwtAuthConfigError(
        `${path}.algorithms`,
        '"none" can never be allowed',
        'remove "none"; unsigned tokens are never accepted',
      );
    }
    if (!isSupportedAlgorithm(alg)) {
      throw new JwtAuthConfigError(
        `${path}.algorithms`,
        `${JSON.stringify(alg)} is not a supported JWS algorithm`,
        'use exact names such as RS256, PS256, ES256, EdDSA or HS256',
      );
    }
  }
  const algorithms: ReadonlySet<string> = new Set(algorithmList);
  const clockTolerance =
    options.clockTolerance === undefined
      ? defaults.clockTolerance
      : checkSeconds(`${path}.clockTolerance`, options.clockTolerance, MAX_CLOCK_TOLERANCE);
  const maxTokenAge =
    options.maxTokenAge === undefined
      ? undefined
      : checkSeconds(`${path}.maxTokenAge`, options.maxTokenAge, Number.MAX_SAFE_INTEGER);
  const scopeClaim = options.scopeClaim ?? 'scope';
  if (scopeClaim !== 'scope' && scopeClaim !== 'scp')
    throw new JwtAuthConfigError(
      `${path}.scopeClaim`,
      'must be "scope" or "scp"',
      'pick the claim your issuer puts scopes in',
    );
  const tokenType = options.tokenType ?? 'access-token-or-jwt';
  if (tokenType !== 'access-token-or-jwt' && tokenType !== 'strict') {
    throw new JwtAuthConfigError(
      `${path}.tokenType`,
      'must be "access-token-or-jwt" or "strict"',
      'use "strict" to accept only typ at+jwt',
    );
  }
  const requiredClaims = options.requiredClaims ?? [];
  if (!Array.isArray(requiredClaims) || requiredClaims.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw new JwtAuthConfigError(`${path}.requiredClaims`, 'must be an array of claim names', 'e.g. ["sub", "jti"]');
  }
  checkFetchOptions(`${path}.fetch`, options.fetch);
  const trustStore = buildTrustStore(path, options, algorithms, defaults.now);
  return Object.freeze({
    issuer: options.issuer,
    algorithms,
    keySource: buildKeySource(path, options, algorithms, defaults.now, trustStore),
    trustStore,
    claims: Object.freeze({
      issuer: options.issuer,
      audiences: new Set(audiences),
      audienceList: Object.freeze([...new Set(audiences)]),
      clockTolerance,
      maxTokenAge,
      requiredClaims: [...requiredClaims],
    }),
    scopeClaim,
    tokenType,
  });
}

/**
 * Validate verifier options and build one runtime per issuer. Runs once at construction (boot).
 * @throws JwtAuthConfigError naming the option and the fix
 */
export function normalizeVerifierOptions(options: VerifierOptions): {
  issuers: Map<string, IssuerRuntime>;
  maxTokenLength: number;
  verifiedTokenCacheSize: number;
} {
  if (!isPlainObject(options)) throw new JwtAuthConfigError('options', 'must be an object', 'pass { issuers: [...] }');
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
    throw new JwtAuthConfigError(
      'issuers',
      'is empty',
      'configure at least one trusted issuer with its audience and keys',
    );
  }
  const clockTolerance =
    options.clockTolerance === undefined
      ? DEFAULT_CLOCK_TOLERANCE
      : checkSeconds('clockTolerance', options.clockTolerance, MAX_CLOCK_TOLERANCE);
  const maxTokenLength = options.maxTokenLength ?? 8192;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 1_048_576) {
    throw new JwtAuthConfigError(
      'maxTokenLength',
      'must be an integer from 256 to 1048576',
      'remove it to use the default (8192)',
    );
  }
  const verifiedTokenCacheSize = options.verifiedTokenCacheSize ?? 1000;
  if (!Number.isInteger(verifiedTokenCacheSize) || verifiedTokenCacheSize < 0 || verifiedTokenCacheSize > 1_000_000) {
    throw new JwtAuthConfigError(
      'verifiedTokenCacheSize',
      'must be an integer from 0 to 1000000',
      'remove it to use the default (1000), or 0 to disable the cache',
    );
  }
  const now = options.now ?? Date.now;
  const issuers = new Map<string, IssuerRuntime>();
  options.issuers.forEach((issuerOptions, index) => {
    const runtime = normalizeIssuer(`issuers[${index}]`, issuerOptions, { clockTolerance, now });
    if (issuers.has(runtime.issuer)) {
      throw new JwtAuthConfigError(
        `issuers[${index}].issuer`,
        `"${runtime.issuer}" is configured twice`,
        'configure each issuer once, listing all its audiences there',
      );
    }
    issuers.set(runtime.issuer, runtime);
  });
  return { issuers, maxTokenLength, verifiedTokenCacheSize };
}
