import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify, JWTPayload, JWTVerifyResult } from 'jose';
import { Clock } from '../app/clock/clock';
import { IdentityConfigInput } from '../app/config/identity.config';
import { createIdentityApp, IdentityApp } from '../app/identity-app';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}

  /** Current time (epoch ms). */
  now(): number {
    return this.current;
  }

  /** Moves time forward. */
  advanceSeconds(seconds: number): void {
    this.current += seconds * 1000;
  }
}

/** A fresh private temp directory. */
export function makeTempDir(prefix = 'identity-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A running identity service under test. */
export interface TestIdentity {
  readonly app: IdentityApp;
  readonly clock: ManualClock;
  readonly dataDir: string;
  /** Stops the app; removes the data directory unless `keepData`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts the real app on 127.0.0.1:0 with a temp DATA_DIR and a manual clock, quietly. */
export async function startIdentity(input: IdentityConfigInput = {}, clock = new ManualClock()): Promise<TestIdentity> {
  const dataDir = input.dataDir ?? makeTempDir();
  const app = await createIdentityApp({ port: 0, ...input, dataDir }, { clock, logger: false });
  return {
    app,
    clock,
    dataDir,
    async close(options = {}) {
      await app.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs an application/x-www-form-urlencoded body without following redirects. */
export function postForm(
  url: string,
  fields: Record<string, string | readonly string[]>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of typeof value === 'string' ? [value] : value) body.append(name, item);
  }
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: body.toString(),
    redirect: 'manual',
  });
}

/** An HTTP Basic Authorization header value per RFC 6749 section 2.3.1. */
export function basicAuth(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A minimal cookie jar: keeps name=value pairs from Set-Cookie, honours deletion by Max-Age=0 or past Expires. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Records the cookies a response sets. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const isDeletion = attributes.some((attribute) => {
        const [key, raw] = attribute.trim().split('=');
        if (/^max-age$/i.test(key)) return Number(raw) <= 0;
        return /^expires$/i.test(key) && Date.parse(raw) <= Date.now();
      });
      if (isDeletion) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** The value of one cookie. */
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Sets a cookie by hand. */
  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** The Cookie request header. */
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** GET without following redirects, sending and recording cookies. */
export async function browserGet(url: string, jar: CookieJar): Promise<Response> {
  const response = await fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  jar.store(response);
  return response;
}

/** Form POST without following redirects, sending and recording cookies. */
export async function browserPost(url: string, fields: Record<string, string>, jar: CookieJar): Promise<Response> {
  const response = await postForm(url, fields, { cookie: jar.header() });
  jar.store(response);
  return response;
}

/** Resolves a Location header against the URL that answered with it. */
export function locationOf(response: Response, base: string): URL {
  const location = response.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location, base);
}

/** The hidden CSRF token of a login page. */
export function csrfTokenOf(html: string): string {
  const match = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no csrf_token field in the page');
  return match[1];
}

/** Parameters of an authorization request. */
export interface AuthorizeParams {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge?: string;
  readonly method?: string | null;
  readonly scope?: string;
  readonly state?: string;
  readonly extra?: Record<string, string>;
}

/** The URL of `GET /authorize` for `params`. */
export function authorizeUrl(base: string, params: AuthorizeParams): string {
  const url = new URL('/authorize', base);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  if (params.challenge) url.searchParams.set('code_challenge', params.challenge);
  if (params.method !== null) url.searchParams.set('code_challenge_method', params.method ?? 'S256');
  if (params.scope) url.searchParams.set('scope', params.scope);
  url.searchParams.set('state', params.state ?? randomBytes(8).toString('hex'));
  for (const [name, value] of Object.entries(params.extra ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

/** Drives GET /authorize -> login page -> POST /login -> redirect to the client; returns the client redirect URL. */
export async function authorizeWithLogin(
  base: string,
  params: AuthorizeParams,
  jar: CookieJar,
  credentials = { username: 'alice', password: 'alice-password' },
): Promise<URL> {
  const authorize = await browserGet(authorizeUrl(base, params), jar);
  expect(authorize.status).toBe(302);
  const loginUrl = locationOf(authorize, `${base}/authorize`);
  expect(loginUrl.pathname).toBe('/login');
  const page = await browserGet(loginUrl.toString(), jar);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const csrfToken = csrfTokenOf(await page.text());
  const login = await browserPost(
    new URL('login', loginUrl).toString(),
    { csrf_token: csrfToken, ...credentials },
    jar,
  );
  expect(login.status).toBe(303);
  return locationOf(login, loginUrl.toString());
}

/** Verifies an access token against the running JWKS with jose, at `at` (epoch ms; default: the manual clock's time). */
export async function verifyAccessToken(
  identity: TestIdentity,
  token: string,
  audience?: string,
  at = identity.clock.now(),
): Promise<JWTVerifyResult<JWTPayload>> {
  // A fresh key set per call: jose caches, and these tests are about what the JWKS says right now.
  const jwks = createRemoteJWKSet(new URL(`${identity.app.url}/.well-known/jwks.json`));
  return jwtVerify(token, jwks, {
    issuer: identity.app.issuer,
    audience,
    typ: 'at+jwt',
    currentDate: new Date(at),
  });
}

/** The published JWKS. */
export async function fetchJwks(identity: TestIdentity): Promise<{ keys: Record<string, unknown>[] }> {
  const response = await fetch(`${identity.app.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: Record<string, unknown>[] };
}

/** The kid in a compact JWS header. */
export function kidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')).kid;
}

/** Requests a client_credentials token for the shipped billing-worker client. */
export async function billingWorkerToken(
  identity: TestIdentity,
  fields: Record<string, string> = {},
): Promise<Response> {
  return postForm(
    `${identity.app.url}/oauth/token`,
    { grant_type: 'client_credentials', ...fields },
    { authorization: basicAuth('billing-worker', 'billing-worker-secret') },
  );
}

/** The `code` parameter of a client redirect; throws when the redirect carries none. */
export function codeOf(callback: URL): string {
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in the redirect (error=${callback.searchParams.get('error')})`);
  return code;
}
