import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtAuthConfigError } from '../errors/auth.errors';
import { ClientCredentialsTokenProvider, TokenRequestError } from './client-credentials.token-provider';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let endpoint = '';
let hits = 0;
let handler: Handler;
const json = (res: ServerResponse, status: number, value: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  hits = 0;
  let n = 0;
  handler = (_req, _body, res) =>
    setTimeout(() => json(res, 200, { access_token: `token-${++n}`, token_type: 'Bearer', expires_in: 300 }), 20);
});

function provider(extra: Partial<ConstructorParameters<typeof ClientCredentialsTokenProvider>[0]> = {}) {
  return new ClientCredentialsTokenProvider({
    tokenEndpoint: endpoint,
    clientId: 'billing worker',
    clientSecret: 's3cr3t:/+',
    allowInsecureHttp: true,
    ...extra,
  });
}

describe('ClientCredentialsTokenProvider', () => {
  it('sends a client_credentials request with Basic auth, scope and resource', async () => {
    let seen: { auth?: string; body?: string } = {};
    handler = (req, body, res) => {
      seen = { auth: req.headers.authorization, body };
      json(res, 200, { access_token: 'a', token_type: 'bearer', expires_in: 60 });
    };
    await provider({ scope: ['inventory:read', 'inventory:reserve'], resource: 'inventory-service' }).getToken();
    expect(Buffer.from(String(seen.auth).replace(/^Basic /, ''), 'base64').toString()).toBe(
      'billing%20worker:s3cr3t%3A%2F%2B',
    );
    expect(Object.fromEntries(new URLSearchParams(seen.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'inventory:read inventory:reserve',
      resource: 'inventory-service',
    });
  });

  it('supports client_secret_post', async () => {
    let body = '';
    handler = (req, b, res) => {
      body = b;
      expect(req.headers.authorization).toBeUndefined();
      json(res, 200, { access_token: 'a', token_type: 'Bearer', expires_in: 60 });
    };
    await provider({ authMethod: 'client_secret_post' }).getToken();
    expect(new URLSearchParams(body).get('client_secret')).toBe('s3cr3t:/+');
  });

  it('shares one request among concurrent callers and caches the token', async () => {
    const p = provider();
    const tokens = await Promise.all(Array.from({ length: 50 }, () => p.getToken()));
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    expect(await p.getToken()).toBe('token-1');
    expect(hits).toBe(1);
  });

  it('renews shortly before expiry, once, and keeps serving the old token if renewal fails', async () => {
    let now = 1_000_000;
    const p = provider({ now: () => now, renewBeforeExpirySeconds: 30 });
    expect(await p.getToken()).toBe('token-1');
    now += 269_000;
    expect(await p.getToken()).toBe('token-1');
    now += 2_000; // inside the renewal window
    expect(await Promise.all([p.getToken(), p.getToken()])).toEqual(['token-2', 'token-2']);
    expect(hits).toBe(2);
    handler = (_req, _body, res) => json(res, 503, { error: 'temporarily_unavailable' });
    now += 275_000; // token-2 due for renewal but valid
    expect(await p.getToken()).toBe('token-2');
    now += 60_000; // token-2 expired
    await expect(p.getToken()).rejects.toMatchObject({
      name: 'TokenRequestError',
      error: 'temporarily_unavailable',
      status: 503,
    });
  });

  it('fetches again after invalidate()', async () => {
    const p = provider();
    await p.getToken();
    p.invalidate();
    expect(await p.getToken()).toBe('token-2');
  });

  it('reports OAuth errors without the secret and refuses non-bearer answers', async () => {
    handler = (_req, _body, res) => json(res, 401, { error: 'invalid_client' });
    const error = (await provider()
      .getToken()
      .catch((e: unknown) => e)) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
    expect(JSON.stringify(error) + error.message).not.toContain('s3cr3t');
    handler = (_req, _body, res) => json(res, 200, { access_token: 'a', token_type: 'mac' });
    await expect(provider().getToken()).rejects.toThrow(/bearer/);
    handler = (_req, _body, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
    await expect(provider().getToken()).rejects.toThrow(TokenRequestError);
  });

  it('times out a hanging token endpoint', async () => {
    handler = () => undefined;
    await expect(provider({ timeoutMs: 200 }).getToken()).rejects.toThrow(/unreachable or too slow/);
  });

  it('refuses invalid options with one JwtAuthConfigError listing every problem, unknown names with a did-you-mean', () => {
    let error: unknown;
    try {
      new ClientCredentialsTokenProvider({
        tokenEndpoint: 'not a url',
        clientId: '',
        clientSecret: 'b',
        scopes: 'x',
        timeoutMs: 0,
      } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JwtAuthConfigError);
    const { problems, message } = error as JwtAuthConfigError;
    expect(problems.map((problem) => problem.option)).toEqual(['scopes', 'tokenEndpoint', 'clientId', 'timeoutMs']);
    expect(message).toMatch(/Invalid option scopes: unknown option; did you mean scope\?/);
    expect(() => new ClientCredentialsTokenProvider(undefined as never)).toThrow(JwtAuthConfigError);
  });

  it('refuses plain http unless allowed', () => {
    expect(
      () => new ClientCredentialsTokenProvider({ tokenEndpoint: endpoint, clientId: 'a', clientSecret: 'b' }),
    ).toThrow(/https/);
    expect(
      () =>
        new ClientCredentialsTokenProvider({
          tokenEndpoint: 'http://id.example.test/token',
          clientId: 'a',
          clientSecret: 'b',
          allowInsecureHttp: true,
        }),
    ).toThrow(/loopback/);
  });
});
