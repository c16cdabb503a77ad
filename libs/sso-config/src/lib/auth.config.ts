import {
  ASYMMETRIC_ALGORITHMS,
  JwtAuthConfigError,
  JwtAuthModule,
  type AsymmetricAlgorithm,
  type JwtAuthModuleOptions,
  type X509TrustOptions,
} from '@nest-sso/jwt-auth';
import { accessSync, constants } from 'node:fs';
import { readBoolean, readList, readString, readUrl, type Env } from './env';
import { ProblemList } from './service-config.error';

/** The variables {@link authOptionsFromEnv} reads. */
export const AUTH_ENV = [
  'AUTH_ISSUER',
  'AUTH_JWKS_URI',
  'AUTH_AUDIENCE',
  'AUTH_ALGORITHMS',
  'AUTH_ALLOW_INSECURE_HTTP',
  'AUTH_SCOPE_CLAIM',
  'AUTH_TRUST_ANCHORS',
  'AUTH_SIGNING_CERTS',
  'AUTH_CRLS',
  'AUTH_REVOCATION',
  'AUTH_X509_LEAF_NAME',
] as const;

const SCOPE_CLAIMS = ['scope', 'scp', 'both'] as const;

/**
 * `JwtAuthModule` options from `AUTH_*` variables, checked as the module would check them, so a bad value stops the
 * service with one clear message before Nest starts:
 * - `AUTH_ISSUER` (required): the exact `iss`; keys come from its OIDC discovery document unless `AUTH_JWKS_URI` is set.
 * - `AUTH_JWKS_URI` (optional): the JWKS URL.
 * - `AUTH_AUDIENCE` (required): accepted audience(s), comma-separated.
 * - `AUTH_ALGORITHMS` (optional): comma-separated allow-list; default every asymmetric algorithm.
 * - `AUTH_ALLOW_INSECURE_HTTP` (optional, `true`): allow http issuer / JWKS URLs on loopback hosts only.
 * - `AUTH_SCOPE_CLAIM` (optional): `scope` (default), `scp` (Okta, Microsoft Entra ID) or `both`.
 * - `AUTH_TRUST_ANCHORS`, `AUTH_SIGNING_CERTS`, `AUTH_CRLS`, `AUTH_REVOCATION`, `AUTH_X509_LEAF_NAME` (optional): an
 *   X.509 trust store (see {@link trustOptionsFromEnv}); with a trust store and no `AUTH_JWKS_URI`, no discovery.
 * Tokens are held to the RFC 9068 profile: `typ: at+jwt`, and `sub`, `client_id`, `iat`, `jti` present.
 * @throws ServiceConfigError listing every problem.
 */
export function authOptionsFromEnv(env: Env, realm?: string): JwtAuthModuleOptions {
  const problems = new ProblemList();
  const allowInsecureHttp = readBoolean(env, 'AUTH_ALLOW_INSECURE_HTTP', problems);
  const issuer = readUrl(env, 'AUTH_ISSUER', problems, allowInsecureHttp, true);
  const jwksUri = readUrl(env, 'AUTH_JWKS_URI', problems, allowInsecureHttp, false);
  const audience = readList(env, 'AUTH_AUDIENCE') ?? [];
  if (audience.length === 0)
    problems.add('AUTH_AUDIENCE: is required (the audience this service accepts, e.g. orders-api)');
  const algorithms = readAlgorithms(env, problems);
  const scopeClaim = readString(env, 'AUTH_SCOPE_CLAIM') ?? 'scope';
  if (!(SCOPE_CLAIMS as readonly string[]).includes(scopeClaim))
    problems.add(`AUTH_SCOPE_CLAIM: must be one of ${SCOPE_CLAIMS.join(', ')} (got "${scopeClaim}")`);
  const trust = trustOptionsFromEnv(env, problems);
  problems.throwIfAny();

  const options: JwtAuthModuleOptions = {
    issuer,
    audience: audience.length === 1 ? audience[0] : audience,
    algorithms,
    ...(scopeClaim !== 'scope' ? { scopeClaim: scopeClaim as (typeof SCOPE_CLAIMS)[number] } : {}),
    // A trust store alone means no discovery and no JWKS: no outbound call for keys at all.
    ...(jwksUri !== undefined ? { jwksUri } : trust !== undefined ? {} : { discovery: true }),
    ...(trust !== undefined ? { trust } : {}),
    ...(allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    ...(realm !== undefined ? { realm } : {}),
    // RFC 9068 strictly: typ at+jwt, and sub, client_id, iat, jti in every token (the identity service issues them all).
    profile: 'rfc9068',
  };
  assertAcceptedByJwtAuth(options);
  return options;
}

const REVOCATION_MODES = ['require', 'if-present', 'off'] as const;

function readFileList(env: Env, name: string, problems: ProblemList): string[] | undefined {
  const paths = readList(env, name);
  if (paths === undefined) return undefined;
  if (paths.length === 0) problems.add(`${name}: list at least one file path`);
  for (const path of paths) {
    try {
      accessSync(path, constants.R_OK);
    } catch {
      problems.add(`${name}: cannot read "${path}" (give the path of an existing, readable file)`);
    }
  }
  return paths;
}

/**
 * The X.509 trust store from `AUTH_TRUST_ANCHORS` (PEM bundle of CA certificates), `AUTH_SIGNING_CERTS` (PEM bundle
 * of deployed signing certificates for `x5t` / `x5t#S256`), `AUTH_CRLS` (comma-separated CRL files),
 * `AUTH_REVOCATION` (`require`, `if-present`: the default with CRLs, `off`) and `AUTH_X509_LEAF_NAME`; `undefined`
 * when none is set. Problems are added to `problems`.
 */
export function trustOptionsFromEnv(env: Env, problems: ProblemList): X509TrustOptions | undefined {
  const anchors = readFileList(env, 'AUTH_TRUST_ANCHORS', problems);
  const signing = readFileList(env, 'AUTH_SIGNING_CERTS', problems);
  const crls = readFileList(env, 'AUTH_CRLS', problems);
  const revocation = readString(env, 'AUTH_REVOCATION');
  const leafName = readString(env, 'AUTH_X509_LEAF_NAME');
  const hasStore = anchors !== undefined || signing !== undefined;
  if (!hasStore) {
    for (const [name, value] of [
      ['AUTH_CRLS', crls],
      ['AUTH_REVOCATION', revocation],
      ['AUTH_X509_LEAF_NAME', leafName],
    ] as const) {
      if (value !== undefined) problems.add(`${name}: needs AUTH_TRUST_ANCHORS (or AUTH_SIGNING_CERTS) to apply to`);
    }
    return undefined;
  }
  if (revocation !== undefined && !(REVOCATION_MODES as readonly string[]).includes(revocation))
    problems.add(`AUTH_REVOCATION: must be one of ${REVOCATION_MODES.join(', ')} (got "${revocation}")`);
  if (revocation === 'require' && crls === undefined)
    problems.add('AUTH_REVOCATION: "require" refuses every token without CRLs; set AUTH_CRLS or use if-present');
  if (revocation === 'require' && anchors === undefined)
    problems.add('AUTH_REVOCATION: "require" needs AUTH_TRUST_ANCHORS to authenticate the CRLs');
  return {
    ...(anchors !== undefined ? { anchors: anchors.map((path) => ({ path })) } : {}),
    ...(signing !== undefined ? { signingCertificates: signing.map((path) => ({ path })) } : {}),
    ...(crls !== undefined ? { crls: crls.map((path) => ({ path })) } : {}),
    ...(revocation !== undefined ? { revocation: revocation as X509TrustOptions['revocation'] } : {}),
    ...(leafName !== undefined ? { leafName } : {}),
  };
}

function readAlgorithms(env: Env, problems: ProblemList): AsymmetricAlgorithm[] {
  const listed = readList(env, 'AUTH_ALGORITHMS');
  if (listed === undefined) return [...ASYMMETRIC_ALGORITHMS];
  if (listed.length === 0) problems.add(`AUTH_ALGORITHMS: list at least one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  const allowed = ASYMMETRIC_ALGORITHMS as readonly string[];
  for (const alg of listed) {
    if (allowed.includes(alg)) continue;
    if (/^HS\d+$/i.test(alg)) {
      problems.add(
        `AUTH_ALGORITHMS: ${alg} needs a shared secret, which these services do not take; use asymmetric algorithms (${allowed.join(', ')})`,
      );
    } else {
      problems.add(
        `AUTH_ALGORITHMS: "${alg}" is not supported; choose from ${allowed.join(', ')} (names are case-sensitive)`,
      );
    }
  }
  return listed.filter((alg): alg is AsymmetricAlgorithm => allowed.includes(alg));
}

// The package's own boot-time checks, run here so their message reaches the operator without a Nest stack trace.
function assertAcceptedByJwtAuth(options: JwtAuthModuleOptions): void {
  try {
    JwtAuthModule.validateOptions(options);
  } catch (error) {
    if (error instanceof JwtAuthConfigError) {
      const problems = new ProblemList();
      // One line per problem, each formatted as the package formats a single one.
      for (const problem of error.problems) problems.add(new JwtAuthConfigError([problem]).message);
      problems.throwIfAny();
    }
    throw error;
  }
}
