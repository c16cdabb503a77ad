import { JwtAuthConfigError } from '../errors/auth.errors';
import { ConfigProblems } from '../errors/config-problems';
import { JwtAuthError } from '../errors/jwt-auth.error';
import { isLoopbackHost } from '../keys/http-fetch';

/** Options of {@link ClientCredentialsTokenProvider}. */
export interface ClientCredentialsOptions {
  /** The issuer's token endpoint (https, unless `allowInsecureHttp`). */
  readonly tokenEndpoint: string;
  /** OAuth client id. */
  readonly clientId: string;
  /** OAuth client secret; sent only to `tokenEndpoint`, never logged. */
  readonly clientSecret: string;
  /** Scopes to request. @default none (the client's default scopes) */
  readonly scope?: string | readonly string[];
  /** RFC 8707 `resource` indicators (the audiences to request). @default none */
  readonly resource?: string | readonly string[];
  /** How the client authenticates. @default 'client_secret_basic' */
  readonly authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Renew the token this many seconds before it expires. @default 30 */
  readonly renewBeforeExpirySeconds?: number;
  /** Deadline for one token request, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Allow an `http:` token endpoint (loopback development only). @default false */
  readonly allowInsecureHttp?: boolean;
  /** Clock in ms since the epoch; for tests. @default Date.now */
  readonly now?: () => number;
}

/** A token request failed; `error` is the RFC 6749 error code when the server sent one. Never carries the secret. */
export class TokenRequestError extends JwtAuthError {
  override readonly name = 'TokenRequestError';
  /** Always `token_request_failed`; the server's own RFC 6749 code is in `error`. */
  readonly code = 'token_request_failed';

  constructor(
    message: string,
    /** RFC 6749 section 5.2 error code, when the server answered with one. */
    readonly error?: string,
    /** HTTP status, when a response arrived. */
    readonly status?: number,
  ) {
    super(message);
  }
}

interface CachedToken {
  readonly accessToken: string;
  readonly renewAt: number;
  readonly expiresAt: number;
}

const OPTION_NAMES = [
  'tokenEndpoint',
  'clientId',
  'clientSecret',
  'scope',
  'resource',
  'authMethod',
  'renewBeforeExpirySeconds',
  'timeoutMs',
  'allowInsecureHttp',
  'now',
] as const satisfies readonly (keyof ClientCredentialsOptions)[];

const isStringList = (value: unknown): boolean =>
  typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

function checkOptions(options: ClientCredentialsOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new JwtAuthConfigError('options', 'must be an object', 'pass { tokenEndpoint, clientId, clientSecret }');
  }
  const problems = new ConfigProblems();
  problems.rejectUnknown('', options, OPTION_NAMES, 'ClientCredentialsTokenProvider');
  let url: URL | undefined;
  try {
    url = new URL(options.tokenEndpoint);
  } catch {
    problems.add(
      'tokenEndpoint',
      'is not an absolute URL',
      "give the issuer's token endpoint, e.g. https://id.example.com/token",
    );
  }
  if (
    url &&
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && options.allowInsecureHttp && isLoopbackHost(url.hostname))
  ) {
    problems.add(
      'tokenEndpoint',
      'must use https (allowInsecureHttp permits http on loopback hosts only)',
      'use the https:// token endpoint; plain http would expose the client secret',
    );
  }
  for (const name of ['clientId', 'clientSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      problems.add(name, 'is required', `set ${name} to the credentials the issuer registered for this client`);
    }
  }
  for (const name of ['scope', 'resource'] as const) {
    if (options[name] !== undefined && !isStringList(options[name])) {
      problems.add(name, 'must be a string or an array of strings', `e.g. ${name}: ['a', 'b']`);
    }
  }
  if (
    options.authMethod !== undefined &&
    options.authMethod !== 'client_secret_basic' &&
    options.authMethod !== 'client_secret_post'
  ) {
    problems.add(
      'authMethod',
      `${JSON.stringify(options.authMethod)} is not supported`,
      'use client_secret_basic or client_secret_post',
    );
  }
  for (const name of ['renewBeforeExpirySeconds', 'timeoutMs'] as const) {
    const value = options[name];
    if (
      value !== undefined &&
      (typeof value !== 'number' || !Number.isFinite(value) || value < (name === 'timeoutMs' ? 1 : 0))
    ) {
      problems.add(
        name,
        `must be a ${name === 'timeoutMs' ? 'positive' : 'non-negative'} number`,
        'remove it to use the default',
      );
    }
  }
  problems.throwIfAny();
}

const list = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? value.split(' ').filter(Boolean) : [...value];

/**
 * Obtains OAuth 2.0 client-credentials access tokens for service-to-service calls (RFC 6749 section 4.4), caches
 * each until shortly before it expires, and renews it with one request however many callers ask at once.
 *
 * @example
 * const tokens = new ClientCredentialsTokenProvider({ tokenEndpoint, clientId: 'billing-worker', clientSecret, scope: 'inventory:read' });
 * await fetch(url, { headers: { authorization: `Bearer ${await tokens.getToken()}` } });
 */
export class ClientCredentialsTokenProvider {
  private cached: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  private readonly now: () => number;

  /** @throws JwtAuthConfigError listing every problem of the options, each naming the option and the fix. */
  constructor(private readonly options: ClientCredentialsOptions) {
    checkOptions(options);
    this.now = options.now ?? Date.now;
  }

  /** A valid access token: the cached one, or a fresh one when it is about to expire. */
  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return cached.accessToken;
    // A token that is due for renewal but not yet expired is still served if the renewal fails.
    try {
      return (await this.renew()).accessToken;
    } catch (error) {
      if (cached && this.now() < cached.expiresAt) return cached.accessToken;
      throw error;
    }
  }

  /** Drop the cached token (for example after a 401 from the callee); the next call fetches a new one. */
  invalidate(): void {
    this.cached = undefined;
  }

  private renew(): Promise<CachedToken> {
    this.inFlight ??= this.request().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async request(): Promise<CachedToken> {
    const { clientId, clientSecret } = this.options;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = list(this.options.scope);
    if (scope.length > 0) body.set('scope', scope.join(' '));
    for (const resource of list(this.options.resource)) body.append('resource', resource);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((this.options.authMethod ?? 'client_secret_basic') === 'client_secret_basic') {
      // RFC 6749 section 2.3.1: form-encode id and secret before Basic encoding.
      const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
    } else {
      body.set('client_id', clientId);
      body.set('client_secret', clientSecret);
    }
    const startedAt = this.now();
    let response: Response;
    try {
      response = await fetch(this.options.tokenEndpoint, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch {
      throw new TokenRequestError('token endpoint unreachable or too slow');
    }
    const json = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!response.ok) {
      const code = typeof json?.['error'] === 'string' ? json['error'] : undefined;
      throw new TokenRequestError(
        `token request refused (${response.status}${code ? ` ${code}` : ''})`,
        code,
        response.status,
      );
    }
    const accessToken = json?.['access_token'];
    const tokenType = json?.['token_type'];
    const expiresIn = json?.['expires_in'];
    if (
      typeof accessToken !== 'string' ||
      accessToken.length === 0 ||
      typeof tokenType !== 'string' ||
      tokenType.toLowerCase() !== 'bearer'
    ) {
      throw new TokenRequestError('token response has no bearer access_token', undefined, response.status);
    }
    // RFC 6749 5.1: expires_in is RECOMMENDED; without it, assume a short life rather than forever.
    const lifetime = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 60;
    const renewBefore = Math.min(this.options.renewBeforeExpirySeconds ?? 30, lifetime / 2);
    const token: CachedToken = {
      accessToken,
      expiresAt: startedAt + lifetime * 1000,
      renewAt: startedAt + (lifetime - renewBefore) * 1000,
    };
    this.cached = token;
    return token;
  }
}
