import { resolve } from 'node:path';
import { DEFAULT_SEED_FILE } from '../../identity-paths';

/** Settings accepted by {@link resolveIdentityConfig} and `createIdentityApp`; every field is optional. */
export interface IdentityConfigInput {
  /** TCP port on 127.0.0.1; 0 picks a free port. @default 0 */
  port?: number;
  /** Issuer identifier (`iss`), an https URL or a loopback http URL. @default `http://127.0.0.1:<actual port>` */
  issuer?: string;
  /** Directory holding the signing keys; relative paths resolve against the working directory. @default './tmp/identity-data' */
  dataDir?: string;
  /** JSON seed with users and clients; relative paths resolve against the working directory. @default the shipped `assets/seed.json` */
  seedFile?: string;
  /** Seconds between signing key rotations. @default 86400 */
  rotationPeriodSeconds?: number;
  /** Lifetime of access tokens in seconds. @default 600 */
  accessTokenTtlSeconds?: number;
  /** Lifetime of each refresh token in seconds (every use rotates it). @default 86400 */
  refreshTokenTtlSeconds?: number;
  /** Lifetime of the SSO session cookie and its server-side record in seconds. @default 28800 */
  sessionTtlSeconds?: number;
  /** Extra seconds a retired key stays published after its last token expired, for verifier clock skew. @default 120 */
  retiredKeyMarginSeconds?: number;
  /** Shared secret for `POST /admin/rotate` (header `x-admin-token`); the endpoint answers 404 when unset. @default undefined */
  adminToken?: string;
  /** Base URL of the web-portal client (`${WEB_PORTAL_URL}` in the seed). @default 'http://127.0.0.1:3100' */
  webPortalUrl?: string;
  /** Base URL of the admin-console client (`${ADMIN_CONSOLE_URL}` in the seed). @default 'http://127.0.0.1:3200' */
  adminConsoleUrl?: string;
  /** Lifetime of ID tokens in seconds. @default 600 */
  idTokenTtlSeconds?: number;
  /** First wait before a failed back-channel logout delivery is retried; doubles per attempt. @default 1000 */
  backchannelRetryInitialMs?: number;
  /** Delivery attempts per client and logout, the first included. @default 6 */
  backchannelMaxAttempts?: number;
  /** Clients whose access tokens are signed by the private CA's certificate, with `x5c` and `x5t#S256`. @default [] */
  x509Clients?: readonly string[];
  /** Audiences for which tokens carry `x5c`: a token gets it when all its audiences are listed here. @default [] */
  x509Audiences?: readonly string[];
  /** Seconds between checks whether the private CA's CRLs (7 days) passed half their validity and must be re-issued. @default 3600 */
  crlCheckSeconds?: number;
}

/** Validated, fully defaulted settings of the identity service. */
export interface IdentityConfig {
  /** Port to listen on (0 = any free port). */
  readonly port: number;
  /** Configured issuer, or `undefined` when it is derived from the port the server actually bound. */
  readonly issuer: string | undefined;
  /** Absolute path of the key directory. */
  readonly dataDir: string;
  /** Absolute path of the seed file. */
  readonly seedFile: string;
  /** Seconds between key rotations. */
  readonly rotationPeriodSeconds: number;
  /** Access token lifetime in seconds. */
  readonly accessTokenTtlSeconds: number;
  /** Refresh token lifetime in seconds. */
  readonly refreshTokenTtlSeconds: number;
  /** SSO session lifetime in seconds. */
  readonly sessionTtlSeconds: number;
  /** Grace seconds before a retired key is unpublished and deleted. */
  readonly retiredKeyMarginSeconds: number;
  /** Admin secret, when the admin endpoint is enabled. */
  readonly adminToken: string | undefined;
  /** Base URL of the web-portal client. */
  readonly webPortalUrl: string;
  /** Base URL of the admin-console client. */
  readonly adminConsoleUrl: string;
  /** Values of the `${NAME}` variables of the seed: `WEB_PORTAL_URL`, `ADMIN_CONSOLE_URL`. */
  readonly seedVariables: Readonly<Record<string, string>>;
  /** ID token lifetime in seconds. */
  readonly idTokenTtlSeconds: number;
  /** First back-channel retry delay in ms. */
  readonly backchannelRetryInitialMs: number;
  /** Back-channel delivery attempts per client and logout. */
  readonly backchannelMaxAttempts: number;
  /** Clients whose tokens carry `x5c` (private CA). */
  readonly x509Clients: readonly string[];
  /** Audiences whose tokens carry `x5c` (private CA). */
  readonly x509Audiences: readonly string[];
  /** Seconds between CRL re-issue checks. */
  readonly crlCheckSeconds: number;
}

/** Thrown at boot when a setting is invalid; the message names every offending variable and the fix. */
export class IdentityConfigError extends Error {
  /** One line per invalid setting. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid identity configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'IdentityConfigError';
    this.problems = problems;
  }
}

/** The address the service binds; it is a local sample and never listens on other interfaces. */
export const LISTEN_HOST = '127.0.0.1';

const DAY = 86400;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function checkInteger(
  problems: string[],
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name}: must be an integer from ${min} to ${max} (got ${String(value)})`);
    return fallback;
  }
  return value;
}

function checkIssuer(problems: string[], issuer: string | undefined): string | undefined {
  if (issuer === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    problems.push(`ISSUER: must be an absolute URL such as https://id.example.com (got "${issuer}")`);
    return undefined;
  }
  // OIDC Discovery 1.0 section 3: https, no query, no fragment; plain http is tolerated on loopback only.
  const isLoopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !isLoopbackHttp) {
    problems.push(`ISSUER: must use https (http is allowed only for 127.0.0.1, localhost or [::1]) (got "${issuer}")`);
  }
  if (url.search || url.hash || issuer.includes('?') || issuer.includes('#')) {
    problems.push(`ISSUER: must not contain a query or fragment (got "${issuer}")`);
  }
  if (url.username || url.password) {
    problems.push('ISSUER: must not contain credentials');
  }
  return issuer;
}

function checkClientUrl(problems: string[], name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const isLoopbackHttp = url?.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (!url || (url.protocol !== 'https:' && !isLoopbackHttp) || url.search || url.hash || value.endsWith('/')) {
    problems.push(
      `${name}: must be an https origin or path without trailing slash, query or fragment (http only on loopback) (got "${value}")`,
    );
    return fallback;
  }
  return value;
}

/** Validates programmatic settings and fills in defaults; throws {@link IdentityConfigError} listing every problem. */
export function resolveIdentityConfig(input: IdentityConfigInput = {}): IdentityConfig {
  const problems: string[] = [];
  const port = checkInteger(problems, 'PORT', input.port, 0, 0, 65535);
  const explicitIssuer = checkIssuer(problems, input.issuer);
  const rotationPeriodSeconds = checkInteger(
    problems,
    'ROTATION_PERIOD_SECONDS',
    input.rotationPeriodSeconds,
    DAY,
    1,
    365 * DAY,
  );
  const accessTokenTtlSeconds = checkInteger(
    problems,
    'ACCESS_TOKEN_TTL_SECONDS',
    input.accessTokenTtlSeconds,
    600,
    1,
    DAY,
  );
  const refreshTokenTtlSeconds = checkInteger(
    problems,
    'refreshTokenTtlSeconds',
    input.refreshTokenTtlSeconds,
    DAY,
    1,
    90 * DAY,
  );
  const sessionTtlSeconds = checkInteger(problems, 'sessionTtlSeconds', input.sessionTtlSeconds, 8 * 3600, 1, 30 * DAY);
  const retiredKeyMarginSeconds = checkInteger(
    problems,
    'retiredKeyMarginSeconds',
    input.retiredKeyMarginSeconds,
    120,
    0,
    DAY,
  );

  const dataDir = input.dataDir ?? './tmp/identity-data';
  if (dataDir.trim() === '') problems.push('DATA_DIR: must be a directory path');
  const seedFile = input.seedFile ?? DEFAULT_SEED_FILE;
  if (seedFile.trim() === '') problems.push('SEED_FILE: must be a file path');

  const adminToken = input.adminToken;
  if (adminToken !== undefined && adminToken.length < 16) {
    // The value itself is never echoed: it is a secret even when it is a bad one.
    problems.push('ADMIN_TOKEN: must be at least 16 characters (generate one with `openssl rand -base64 32`)');
  }

  const seedVariables = Object.freeze({
    WEB_PORTAL_URL: checkClientUrl(problems, 'WEB_PORTAL_URL', input.webPortalUrl, 'http://127.0.0.1:3100'),
    ADMIN_CONSOLE_URL: checkClientUrl(problems, 'ADMIN_CONSOLE_URL', input.adminConsoleUrl, 'http://127.0.0.1:3200'),
  });
  const idTokenTtlSeconds = checkInteger(problems, 'idTokenTtlSeconds', input.idTokenTtlSeconds, 600, 1, DAY);
  const backchannelRetryInitialMs = checkInteger(
    problems,
    'backchannelRetryInitialMs',
    input.backchannelRetryInitialMs,
    1000,
    1,
    60_000,
  );
  const backchannelMaxAttempts = checkInteger(
    problems,
    'backchannelMaxAttempts',
    input.backchannelMaxAttempts,
    6,
    1,
    20,
  );
  // At most a day, so a CRL is re-issued between half and 4.5 of its 7 days, well before nextUpdate.
  const crlCheckSeconds = checkInteger(problems, 'CRL_CHECK_SECONDS', input.crlCheckSeconds, 3600, 1, DAY);
  const x509Clients = [...(input.x509Clients ?? [])];
  const x509Audiences = [...(input.x509Audiences ?? [])];
  for (const [name, list] of [
    ['X509_CLIENTS', x509Clients],
    ['X509_AUDIENCES', x509Audiences],
  ] as const) {
    if (list.some((item) => typeof item !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(item)))
      problems.push(`${name}: must be a comma-separated list of client ids / audiences (printable, no spaces)`);
  }

  if (problems.length > 0) throw new IdentityConfigError(problems);
  return {
    x509Clients,
    x509Audiences,
    crlCheckSeconds,
    port,
    issuer: explicitIssuer ?? (port === 0 ? undefined : `http://${LISTEN_HOST}:${port}`),
    dataDir: resolve(dataDir),
    seedFile: resolve(seedFile),
    rotationPeriodSeconds,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds,
    sessionTtlSeconds,
    retiredKeyMarginSeconds,
    adminToken,
    webPortalUrl: seedVariables.WEB_PORTAL_URL,
    adminConsoleUrl: seedVariables.ADMIN_CONSOLE_URL,
    seedVariables,
    idTokenTtlSeconds,
    backchannelRetryInitialMs,
    backchannelMaxAttempts,
  };
}

function parseIntegerVariable(problems: string[], env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,10}$/.test(raw)) {
    problems.push(`${name}: must be a non-negative integer (got "${raw}")`);
    return undefined;
  }
  return Number(raw);
}

function stringVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function listVariable(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  return stringVariable(env, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Reads `PORT`, `ISSUER`, `DATA_DIR`, `SEED_FILE`, `ROTATION_PERIOD_SECONDS`, `ACCESS_TOKEN_TTL_SECONDS`,
 * `ADMIN_TOKEN`, `WEB_PORTAL_URL`, `ADMIN_CONSOLE_URL`, `X509_CLIENTS`, `X509_AUDIENCES` and `CRL_CHECK_SECONDS` from the environment and
 * validates them; throws {@link IdentityConfigError}.
 */
export function identityConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IdentityConfig {
  const problems: string[] = [];
  const input: IdentityConfigInput = {
    port: parseIntegerVariable(problems, env, 'PORT'),
    issuer: stringVariable(env, 'ISSUER'),
    dataDir: stringVariable(env, 'DATA_DIR'),
    seedFile: stringVariable(env, 'SEED_FILE'),
    rotationPeriodSeconds: parseIntegerVariable(problems, env, 'ROTATION_PERIOD_SECONDS'),
    accessTokenTtlSeconds: parseIntegerVariable(problems, env, 'ACCESS_TOKEN_TTL_SECONDS'),
    adminToken: stringVariable(env, 'ADMIN_TOKEN'),
    webPortalUrl: stringVariable(env, 'WEB_PORTAL_URL'),
    adminConsoleUrl: stringVariable(env, 'ADMIN_CONSOLE_URL'),
    x509Clients: listVariable(env, 'X509_CLIENTS'),
    x509Audiences: listVariable(env, 'X509_AUDIENCES'),
    crlCheckSeconds: parseIntegerVariable(problems, env, 'CRL_CHECK_SECONDS'),
  };
  let config: IdentityConfig | undefined;
  try {
    config = resolveIdentityConfig(input);
  } catch (error) {
    if (!(error instanceof IdentityConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config) throw new IdentityConfigError(problems);
  return config;
}
