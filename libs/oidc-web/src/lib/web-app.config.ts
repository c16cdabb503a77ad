import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '@nest-sso/jwt-auth/core';
import { LOOPBACK_HOST, ProblemList, readBoolean, readPort, readString, readUrl, type Env } from '@nest-sso/sso-config';

/** Validated settings of one server-rendered OpenID Connect web app (web-portal, admin-console). */
export interface WebAppConfig {
  /** Name in logs and page titles, e.g. `web-portal`. */
  readonly name: string;
  /** Title shown on pages, e.g. `Web Portal`. */
  readonly title: string;
  /** Port on 127.0.0.1 (0 picks a free one). */
  readonly port: number;
  /** Public base URL (redirect URIs are built from it); `http://127.0.0.1:<bound port>` when unset. */
  readonly publicUrl: string | undefined;
  /** The OpenID provider's issuer identifier; unset leaves sign-in off (see {@link WebAppConfig.signInMissing}). */
  readonly issuer: string | undefined;
  /** This app's `client_id`. */
  readonly clientId: string;
  /** This app's client secret (confidential client, `client_secret_basic`); unset leaves sign-in off. */
  readonly clientSecret: string | undefined;
  /**
   * The unset variables sign-in needs (`OIDC_ISSUER`, `OIDC_CLIENT_SECRET`); while any is, the app starts and every
   * route but `GET /health` answers 503 naming them.
   */
  readonly signInMissing: readonly string[];
  /** Scopes requested at sign-in. */
  readonly scope: string;
  /**
   * The client's registered `id_token_signed_response_alg`: the only algorithm accepted on its ID tokens and
   * back-channel logout tokens; discovery must list it in `id_token_signing_alg_values_supported`.
   */
  readonly idTokenAlg: AsymmetricAlgorithm;
  /** Let openid-client talk to an `http:` issuer (loopback demo only). */
  readonly allowInsecureHttp: boolean;
  /** orders-api base URL; pages that need it answer 503 when unset. */
  readonly ordersApiUrl: string | undefined;
  /** Refresh the access token when it expires within this many seconds. */
  readonly refreshMarginSeconds: number;
  /** Lifetime of a session in this app, in seconds. */
  readonly sessionTtlSeconds: number;
}

/** Per-app defaults for {@link webAppConfigFromEnv}. */
export interface WebAppDefaults {
  readonly name: string;
  readonly title: string;
  readonly port: number;
  readonly clientId: string;
  readonly scope: string;
}

const INSECURE_VARIABLE = 'OIDC_ALLOW_INSECURE_HTTP';
const ID_TOKEN_ALG_VARIABLE = 'OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG';

function readIdTokenAlg(env: Env, problems: ProblemList): AsymmetricAlgorithm {
  const raw = readString(env, ID_TOKEN_ALG_VARIABLE);
  if (raw === undefined) return 'RS256';
  if ((ASYMMETRIC_ALGORITHMS as readonly string[]).includes(raw)) return raw as AsymmetricAlgorithm;
  problems.add(`${ID_TOKEN_ALG_VARIABLE}: must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')} (got "${raw}")`);
  return 'RS256';
}

function readSeconds(env: Env, name: string, problems: ProblemList, fallback: number, max: number): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= max)) {
    problems.add(`${name}: must be a whole number of seconds from 0 to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

/**
 * Reads `PORT`, `PUBLIC_URL`, `OIDC_ISSUER`, `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`, `OIDC_SCOPE`,
 * `OIDC_ID_TOKEN_SIGNED_RESPONSE_ALG`, `OIDC_ALLOW_INSECURE_HTTP`, `ORDERS_API_URL`, `REFRESH_MARGIN_SECONDS` and `SESSION_TTL_SECONDS`; throws
 * `ServiceConfigError` naming every problem. None is required: without `OIDC_ISSUER` or `OIDC_CLIENT_SECRET` the app
 * runs with sign-in off ({@link WebAppConfig.signInMissing}).
 */
export function webAppConfigFromEnv(env: Env, defaults: WebAppDefaults): WebAppConfig {
  const problems = new ProblemList();
  const allowInsecureHttp = readBoolean(env, INSECURE_VARIABLE, problems);
  const port = readPort(env, 'PORT', problems, defaults.port) ?? defaults.port;
  const publicUrl = readUrl(env, 'PUBLIC_URL', problems, allowInsecureHttp, false, INSECURE_VARIABLE);
  if (publicUrl?.endsWith('/')) problems.add('PUBLIC_URL: must not end with "/"');
  // Unset sign-in variables do not stop the app (a clear 503 serves); invalid ones do.
  const issuer = readUrl(env, 'OIDC_ISSUER', problems, allowInsecureHttp, false, INSECURE_VARIABLE);
  const clientSecret = readString(env, 'OIDC_CLIENT_SECRET');
  const signInMissing = [
    ...(readString(env, 'OIDC_ISSUER') === undefined ? ['OIDC_ISSUER'] : []),
    ...(clientSecret === undefined ? ['OIDC_CLIENT_SECRET'] : []),
  ];
  const ordersApiUrl = readUrl(env, 'ORDERS_API_URL', problems, allowInsecureHttp, false, INSECURE_VARIABLE);
  const config: WebAppConfig = {
    name: defaults.name,
    title: defaults.title,
    port,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    issuer,
    clientId: readString(env, 'OIDC_CLIENT_ID') ?? defaults.clientId,
    clientSecret,
    signInMissing,
    scope: readString(env, 'OIDC_SCOPE') ?? defaults.scope,
    idTokenAlg: readIdTokenAlg(env, problems),
    allowInsecureHttp,
    ordersApiUrl: ordersApiUrl?.replace(/\/+$/, ''),
    refreshMarginSeconds: readSeconds(env, 'REFRESH_MARGIN_SECONDS', problems, 60, 86400),
    sessionTtlSeconds: readSeconds(env, 'SESSION_TTL_SECONDS', problems, 8 * 3600, 30 * 86400),
  };
  problems.throwIfAny();
  return config;
}

/** The address web apps listen on. */
export const WEB_APP_HOST = LOOPBACK_HOST;
