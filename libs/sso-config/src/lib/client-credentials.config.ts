import { readBoolean, readString, readUrl, type Env } from './env';
import { ProblemList, ServiceConfigError } from './service-config.error';

/** Client-credentials settings of a machine client, from {@link clientCredentialsFromEnv}. */
export interface ClientCredentialsConfig {
  /** The issuer; its discovery document names the token endpoint when `tokenEndpoint` is unset. */
  readonly issuer: string;
  /** Token endpoint, when configured directly. */
  readonly tokenEndpoint: string | undefined;
  /** OAuth client id. */
  readonly clientId: string;
  /** OAuth client secret; never logged. */
  readonly clientSecret: string;
  /** Whether http URLs on loopback hosts are allowed. */
  readonly allowInsecureHttp: boolean;
}

/**
 * Reads `AUTH_ISSUER`, `AUTH_TOKEN_ENDPOINT` (optional), `AUTH_CLIENT_ID`, `AUTH_CLIENT_SECRET` and
 * `AUTH_ALLOW_INSECURE_HTTP`. The secret is never echoed, not even in an error.
 * @throws ServiceConfigError listing every problem.
 */
export function clientCredentialsFromEnv(env: Env): ClientCredentialsConfig {
  const problems = new ProblemList();
  const allowInsecureHttp = readBoolean(env, 'AUTH_ALLOW_INSECURE_HTTP', problems);
  const issuer = readUrl(env, 'AUTH_ISSUER', problems, allowInsecureHttp, true);
  const tokenEndpoint = readUrl(env, 'AUTH_TOKEN_ENDPOINT', problems, allowInsecureHttp, false);
  const clientId = readString(env, 'AUTH_CLIENT_ID');
  if (clientId === undefined) problems.add('AUTH_CLIENT_ID: is required (the OAuth client id, e.g. billing-worker)');
  const clientSecret = env['AUTH_CLIENT_SECRET'];
  if (clientSecret === undefined || clientSecret === '')
    problems.add('AUTH_CLIENT_SECRET: is required (the OAuth client secret)');
  problems.throwIfAny();
  return {
    issuer: issuer as string,
    tokenEndpoint,
    clientId: clientId as string,
    clientSecret: clientSecret as string,
    allowInsecureHttp,
  };
}

/**
 * The token endpoint: the configured one, else `token_endpoint` from the issuer's OIDC discovery document, whose
 * `issuer` must equal the configured issuer exactly. No redirects, 5 s deadline.
 * @throws ServiceConfigError when discovery fails or the document does not match.
 */
export async function resolveTokenEndpoint(config: ClientCredentialsConfig): Promise<string> {
  if (config.tokenEndpoint !== undefined) return config.tokenEndpoint;
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let document: Record<string, unknown>;
  try {
    const response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(5000),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    document = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    throw new ServiceConfigError([
      `AUTH_ISSUER: discovery at ${url} failed (${(error as Error).message}); start the issuer or set AUTH_TOKEN_ENDPOINT`,
    ]);
  }
  if (document['issuer'] !== config.issuer) {
    throw new ServiceConfigError([
      `AUTH_ISSUER: the discovery document names issuer ${JSON.stringify(document['issuer'])}, not "${config.issuer}"`,
    ]);
  }
  const problems = new ProblemList();
  const endpoint = readUrl(
    { token_endpoint: String(document['token_endpoint'] ?? '') },
    'token_endpoint',
    problems,
    config.allowInsecureHttp,
    true,
  );
  problems.throwIfAny();
  return endpoint as string;
}
