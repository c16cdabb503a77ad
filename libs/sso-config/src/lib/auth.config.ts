import {
  ASYMMETRIC_ALGORITHMS,
  JwtAuthConfigError,
  JwtAuthModule,
  type AsymmetricAlgorithm,
  type JwtAuthModuleOptions,
} from '@nest-sso/jwt-auth';
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
  problems.throwIfAny();

  const options: JwtAuthModuleOptions = {
    issuer,
    audience: audience.length === 1 ? audience[0] : audience,
    algorithms,
    ...(scopeClaim !== 'scope' ? { scopeClaim: scopeClaim as (typeof SCOPE_CLAIMS)[number] } : {}),
    ...(jwksUri !== undefined ? { jwksUri } : { discovery: true }),
    ...(allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    ...(realm !== undefined ? { realm } : {}),
  };
  assertAcceptedByJwtAuth(options);
  return options;
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
