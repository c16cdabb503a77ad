import { createHash, randomBytes } from 'node:crypto';

/** A public client of the sample identity service (see apps/identity/README.md). */
export interface PublicClient {
  /** `client_id`. */
  readonly clientId: string;
  /** Registered redirect URI (never fetched: the code is read from the Location header). */
  readonly redirectUri: string;
  /** Scopes to ask for. */
  readonly scope: string;
}

/** The seeded `web-app` client: orders and inventory scopes, audiences orders-api and inventory-service. */
export const WEB_APP: PublicClient = {
  clientId: 'web-app',
  redirectUri: 'http://127.0.0.1/callback',
  scope: 'openid orders:read orders:write inventory:read inventory:reserve',
};

/** The seeded `admin-portal` client: `orders:read` only, audience orders-api. */
export const ADMIN_PORTAL: PublicClient = {
  clientId: 'admin-portal',
  redirectUri: 'http://127.0.0.1/admin/callback',
  scope: 'openid orders:read',
};

/** The seeded demo user. */
export const ALICE = { username: 'alice', password: 'alice-password' } as const;

/** The seeded machine client. */
export const BILLING_WORKER = {
  clientId: 'billing-worker',
  clientSecret: 'billing-worker-secret',
} as const;

/** A token endpoint answer. */
export interface TokenResponse {
  /** The access token; never print it. */
  readonly access_token: string;
  /** `Bearer`. */
  readonly token_type: string;
  /** Lifetime in seconds. */
  readonly expires_in: number;
  /** Granted scopes. */
  readonly scope?: string;
  /** Refresh token (authorization code and refresh grants). */
  readonly refresh_token?: string;
}

/** A step of an OAuth flow answered unexpectedly; the message names the step and never holds a secret. */
export class OAuthFlowError extends Error {
  override readonly name = 'OAuthFlowError';
}

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return {
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
  };
}

/** A minimal cookie jar for driving the login form with fetch, as a browser would. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Keep the cookies a response sets (a Max-Age=0 or past Expires deletes). */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator < 0) continue;
      const name = pair.slice(0, separator).trim();
      const isDeletion = attributes.some((attribute) => {
        const [key, value = ''] = attribute.trim().split('=');
        return (
          (/^max-age$/i.test(key) && Number(value) <= 0) || (/^expires$/i.test(key) && Date.parse(value) <= Date.now())
        );
      });
      if (isDeletion) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(separator + 1).trim());
    }
  }

  /** True when a cookie of that name is held. */
  has(name: string): boolean {
    return this.cookies.has(name);
  }

  /** The `Cookie` request header. */
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** The URL of `GET /authorize` for an authorization-code request with PKCE. */
export function authorizationUrl(identityUrl: string, client: PublicClient, challenge: string, state: string): string {
  const url = new URL('/authorize', identityUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: client.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

async function browserGet(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, {
    headers: { cookie: jar.header() },
    redirect: 'manual',
  });
  jar.store(response);
  return response;
}

function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

function location(response: Response, base: string, step: string): URL {
  const value = response.headers.get('location');
  if (response.status < 300 || response.status > 399 || !value)
    throw new OAuthFlowError(`${step}: expected a redirect, got HTTP ${response.status}`);
  return new URL(value, base);
}

/** The code of a client redirect, after checking `state` and the RFC 9207 `iss`. */
export function codeFromRedirect(redirect: URL, client: PublicClient, state: string, issuer: string): string {
  if (`${redirect.origin}${redirect.pathname}` !== client.redirectUri)
    throw new OAuthFlowError(`redirected to ${redirect.origin}${redirect.pathname}, not to ${client.redirectUri}`);
  const error = redirect.searchParams.get('error');
  if (error) throw new OAuthFlowError(`authorization refused: ${error}`);
  if (redirect.searchParams.get('state') !== state) throw new OAuthFlowError('the redirect carries another state');
  if (redirect.searchParams.get('iss') !== issuer) throw new OAuthFlowError('the redirect names another issuer (iss)');
  const code = redirect.searchParams.get('code');
  if (!code) throw new OAuthFlowError('the redirect carries no code');
  return code;
}

async function tokenRequest(
  identityUrl: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenResponse> {
  const response = await postForm(new URL('/oauth/token', identityUrl).toString(), fields, headers);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== 200 || typeof body['access_token'] !== 'string') {
    throw new OAuthFlowError(
      `token endpoint (${fields['grant_type']}): HTTP ${response.status} ${String(body['error'] ?? '')}`.trim(),
    );
  }
  return body as unknown as TokenResponse;
}

/** Exchange an authorization code with its PKCE verifier (public client). */
export function exchangeCode(
  identityUrl: string,
  client: PublicClient,
  code: string,
  verifier: string,
): Promise<TokenResponse> {
  return tokenRequest(identityUrl, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    client_id: client.clientId,
    code_verifier: verifier,
  });
}

/** Use a refresh token (it rotates: the answer carries the next one). */
export function refreshTokens(identityUrl: string, client: PublicClient, refreshToken: string): Promise<TokenResponse> {
  return tokenRequest(identityUrl, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.clientId,
  });
}

/** A client-credentials token (HTTP Basic client authentication). */
export function clientCredentialsToken(
  identityUrl: string,
  clientId: string,
  clientSecret: string,
  scope?: string,
): Promise<TokenResponse> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  return tokenRequest(
    identityUrl,
    { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
    { authorization: `Basic ${basic}` },
  );
}

/** What an authorization-code flow produced. */
export interface AuthorizationResult {
  /** The tokens. */
  readonly tokens: TokenResponse;
  /** Whether the identity service showed its login form (false: an SSO session answered at once). */
  readonly loginFormShown: boolean;
}

/**
 * Drive the authorization-code + PKCE flow as a browser would: `GET /authorize`; when there is no SSO session,
 * the login form (with its CSRF token and login cookie) is fetched and posted with `credentials`; the code in
 * the redirect to the client is exchanged for tokens. `jar` carries the SSO session between calls.
 */
export async function authorize(
  identityUrl: string,
  issuer: string,
  client: PublicClient,
  jar: CookieJar,
  credentials?: { readonly username: string; readonly password: string },
): Promise<AuthorizationResult> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(12).toString('base64url');
  const authorizeUrl = authorizationUrl(identityUrl, client, challenge, state);
  let redirect = location(await browserGet(authorizeUrl, jar), authorizeUrl, 'GET /authorize');
  let loginFormShown = false;
  if (redirect.origin === new URL(identityUrl).origin && redirect.pathname === '/login') {
    if (!credentials)
      throw new OAuthFlowError('the identity service asked for a login although a session was expected');
    loginFormShown = true;
    const page = await browserGet(redirect.toString(), jar);
    if (page.status !== 200) throw new OAuthFlowError(`GET /login: HTTP ${page.status}`);
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(await page.text())?.[1];
    if (!csrf) throw new OAuthFlowError('GET /login: the form has no CSRF token');
    const submitted = await postForm(
      new URL('login', redirect).toString(),
      { csrf_token: csrf, ...credentials },
      { cookie: jar.header() },
    );
    jar.store(submitted);
    redirect = location(submitted, redirect.toString(), 'POST /login');
  }
  const code = codeFromRedirect(redirect, client, state, issuer);
  return {
    tokens: await exchangeCode(identityUrl, client, code, verifier),
    loginFormShown,
  };
}

/** The protected header of a compact JWS (for showing `alg` and `kid`; nothing in it is trusted). */
export function jwsHeader(token: string): { alg?: string; kid?: string } {
  try {
    return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  } catch {
    return {};
  }
}
