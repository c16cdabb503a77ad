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
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';

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

  constructor(private readonly options: ClientCredentialsOptions) {
    let url: URL;
    try {
      url = new URL(options.tokenEndpoint);
    } catch {
      throw new TypeError('ClientCredentialsTokenProvider: tokenEndpoint must be an absolute URL');
    }
    if (
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && options.allowInsecureHttp && isLoopbackHost(url.hostname))
    ) {
      throw new TypeError(
        'ClientCredentialsTokenProvider: tokenEndpoint must use https (allowInsecureHttp permits http on loopback hosts only)',
      );
    }
    if (!options.clientId || !options.clientSecret)
      throw new TypeError('ClientCredentialsTokenProvider: clientId and clientSecret are required');
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
