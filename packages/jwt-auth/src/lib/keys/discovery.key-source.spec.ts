import type { JsonWebKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ecJwkPair, listenOnLoopback, respond, waitFor, type Handler } from '../__fixtures__/jwks-server';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { DiscoveryDocumentError, DiscoveryKeySource, readDiscoveryDocument } from './discovery.key-source';
import type { KeySourceEvent } from './key-source.interface';
import type { RemoteKeySourceOptions } from './remote-jwks.key-source';
import { REMOTE_JWKS_DEFAULTS as D } from './remote-jwks.options';

/** One loopback server playing the identity provider: routes by path and counts hits per path. */
interface ProviderServer {
  readonly origin: string;
  readonly hits: Map<string, number>;
  readonly routes: Map<string, Handler>;
  close(): Promise<void>;
}

const servers: ProviderServer[] = [];
const sources: DiscoveryKeySource[] = [];

function sendJson(value: unknown, status = 200): Handler {
  return respond(status, 'application/json', JSON.stringify(value));
}

async function provider(): Promise<ProviderServer> {
  const hits = new Map<string, number>();
  const routes = new Map<string, Handler>();
  const notFound = respond(404, 'application/json', '{}');
  const server = await listenOnLoopback((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    (routes.get(path) ?? notFound)(req, res);
  });
  const result: ProviderServer = { ...server, hits, routes };
  servers.push(result);
  return result;
}

const WELL_KNOWN = '/.well-known/openid-configuration';
let clock = 0;
const now = (): number => clock;

function source(issuer: string, options: RemoteKeySourceOptions = {}): DiscoveryKeySource {
  const created = new DiscoveryKeySource(issuer, { allowInsecureHttp: true, now, timeoutMs: 1000, ...options });
  sources.push(created);
  return created;
}

async function kids(keySource: DiscoveryKeySource, kid: string): Promise<(string | undefined)[]> {
  return (await keySource.getKeys({ kid, alg: 'ES256' })).map((key) => key.kid);
}

async function unavailable(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(AuthError);
  await expect(promise).rejects.toMatchObject({ code: AuthErrorCode.KEYS_UNAVAILABLE });
}

let k1: JsonWebKey;
let k2: JsonWebKey;

beforeAll(() => {
  k1 = ecJwkPair('k1').pub;
  k2 = ecJwkPair('k2').pub;
});

beforeEach(() => {
  clock = Date.UTC(2030, 0, 1);
});

afterEach(async () => {
  sources.splice(0).forEach((keySource) => keySource.close());
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('DiscoveryKeySource', () => {
  it('discovers the jwks_uri and serves its keys', async () => {
    const idp = await provider();
    const issuer = `${idp.origin}/realms/main`;
    idp.routes.set(`/realms/main${WELL_KNOWN}`, sendJson({ issuer, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(issuer);
    const events: KeySourceEvent[] = [];
    keySource.subscribe((event) => events.push(event));

    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    expect(idp.hits.get(`/realms/main${WELL_KNOWN}`)).toBe(1);
    expect(idp.hits.get('/certs')).toBe(1);
    expect(keySource.getState()).toMatchObject({
      kind: 'discovery',
      url: `${idp.origin}/certs`,
      status: 'fresh',
      keyIds: ['k1'],
    });
    expect(events.map((event) => event.type)).toEqual(['refreshed']);
    expect(events[0].state.kind).toBe('discovery');
  });

  it('shares one discovery and one JWKS fetch among concurrent cold callers', async () => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(idp.origin);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => kids(keySource, i % 2 === 0 ? 'k1' : `unknown-${i}`)),
    );
    expect(results.filter((found) => found.length === 1)).toHaveLength(25);
    expect(idp.hits.get(WELL_KNOWN)).toBe(1);
    expect(idp.hits.get('/certs')).toBe(1);
  });

  it('strips one trailing slash of the issuer to build the discovery URL and still compares it exactly', async () => {
    const idp = await provider();
    const issuer = `${idp.origin}/`;
    idp.routes.set(WELL_KNOWN, sendJson({ issuer, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(issuer);
    expect(keySource.discoveryUrl).toBe(`${idp.origin}${WELL_KNOWN}`);
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
  });

  it.each([
    ['a trailing slash the configuration lacks', (origin: string) => `${origin}/realms/main/`],
    ['no trailing slash where the configuration has one', (origin: string) => `${origin}/realms/main`],
    ['a different path case', (origin: string) => `${origin}/realms/Main`],
    ['a different scheme case', (origin: string) => `${origin.replace('http:', 'HTTP:')}/realms/main`],
    ['another issuer', () => 'https://evil.example.com/realms/main'],
    ['no issuer', () => undefined],
  ])('refuses a document whose issuer has %s', async (name, documentIssuer) => {
    const idp = await provider();
    const configured = name.startsWith('no trailing') ? `${idp.origin}/realms/main/` : `${idp.origin}/realms/main`;
    idp.routes.set(
      `/realms/main${WELL_KNOWN}`,
      sendJson({ issuer: documentIssuer(idp.origin), jwks_uri: `${idp.origin}/certs` }),
    );
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(configured);
    await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
    expect(idp.hits.get(`/realms/main${WELL_KNOWN}`)).toBe(1);
    expect(idp.hits.get('/certs')).toBeUndefined();
    expect(keySource.getState()).toMatchObject({
      status: 'failing',
      lastError: 'discovery document names a different issuer',
    });
  });

  it('refuses an http jwks_uri unless allowInsecureHttp is set', () => {
    const document = { issuer: 'https://id.example.com', jwks_uri: 'http://id.example.com/certs' };
    expect(() => readDiscoveryDocument(document, 'https://id.example.com', false)).toThrow(DiscoveryDocumentError);
    expect(() => readDiscoveryDocument(document, 'https://id.example.com', false)).toThrow(
      'jwks_uri refused: plain http is not allowed',
    );
    expect(
      readDiscoveryDocument(
        { ...document, jwks_uri: 'https://keys.example.com/certs' },
        'https://id.example.com',
        false,
      ),
    ).toBe('https://keys.example.com/certs');
    // allowInsecureHttp opens plain http for loopback hosts only.
    expect(() => readDiscoveryDocument(document, 'https://id.example.com', true)).toThrow('loopback hosts only');
    const loopback = { issuer: 'http://127.0.0.1:8080', jwks_uri: 'http://127.0.0.1:8080/certs' };
    expect(readDiscoveryDocument(loopback, 'http://127.0.0.1:8080', true)).toBe('http://127.0.0.1:8080/certs');
    expect(
      readDiscoveryDocument({ ...loopback, jwks_uri: 'http://localhost:8080/certs' }, 'http://127.0.0.1:8080', true),
    ).toBe('http://localhost:8080/certs');
  });

  it.each([
    ['carries credentials', (origin: string) => origin.replace('http://', 'http://user:pass@') + '/certs'],
    ['is a file URL', () => 'file:///etc/passwd'],
    ['is relative', () => '/certs'],
    ['is not a string', () => ['/certs']],
    ['is missing', () => undefined],
  ])('refuses a jwks_uri that %s, without fetching it', async (_name, jwksUri) => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: jwksUri(idp.origin) }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(idp.origin);
    await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
    expect(idp.hits.get('/certs')).toBeUndefined();
  });

  it('refuses a document that is not a JSON object', () => {
    expect(() => readDiscoveryDocument(['https://id.example.com'], 'https://id.example.com', false)).toThrow(
      'not a JSON object',
    );
  });

  it('refuses an issuer that cannot be discovered safely', () => {
    expect(() => new DiscoveryKeySource('http://127.0.0.1:1/realms/main')).toThrow(JwtAuthConfigError);
    expect(() => new DiscoveryKeySource('https://id.example.com/?tenant=a')).toThrow(JwtAuthConfigError);
    expect(() => new DiscoveryKeySource('https://id.example.com/#a')).toThrow(JwtAuthConfigError);
    expect(() => new DiscoveryKeySource('https://user:pw@id.example.com')).toThrow(JwtAuthConfigError);
    expect(() => new DiscoveryKeySource('my-issuer')).toThrow(JwtAuthConfigError);
  });

  it('backs off after a failed discovery and fetches nothing during the backoff window', async () => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({}, 500));
    const keySource = source(idp.origin, { backoffInitialMs: 1000, backoffMaxMs: 10_000 });
    await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
    clock += 500;
    await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
    await keySource.warmUp();
    expect(idp.hits.get(WELL_KNOWN)).toBe(1);
    expect(keySource.getState()).toMatchObject({
      status: 'failing',
      consecutiveFailures: 1,
      lastError: 'unexpected status 500',
    });

    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    clock += 500;
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    expect(idp.hits.get(WELL_KNOWN)).toBe(2);
    expect(keySource.getState()).toMatchObject({ status: 'fresh', consecutiveFailures: 0 });
  });

  it('caches the document for discoveryTtlMs, then follows a changed jwks_uri in the background', async () => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    idp.routes.set('/certs-2', sendJson({ keys: [k2] }));
    const keySource = source(idp.origin);
    await keySource.warmUp();
    expect(idp.hits.get('/certs')).toBe(1);
    const t0 = clock;

    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs-2` }));
    clock = t0 + D.discoveryTtlMs - 1;
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    expect(idp.hits.get(WELL_KNOWN)).toBe(1);

    clock = t0 + D.discoveryTtlMs;
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    await waitFor(() => keySource.getState().url === `${idp.origin}/certs-2`, 'the rediscovery');
    expect(await kids(keySource, 'k2')).toEqual(['k2']);
    expect(await kids(keySource, 'k1')).toEqual([]);
    expect(idp.hits.get(WELL_KNOWN)).toBe(2);
    expect(idp.hits.get('/certs-2')).toBe(1);
  });

  it('answers getKeysSync from the discovered set only, and starts a due rediscovery like getKeys', async () => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    idp.routes.set('/certs-2', sendJson({ keys: [k2] }));
    const keySource = source(idp.origin);
    expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })).toBeUndefined();
    expect(idp.hits.get(WELL_KNOWN)).toBeUndefined();
    await keySource.warmUp();
    expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })?.map((key) => key.kid)).toEqual(['k1']);
    // An unknown kid inside the JWKS refetch cooldown: [] at once, as getKeys would answer.
    expect(keySource.getKeysSync({ kid: 'k2', alg: 'ES256' })).toEqual([]);

    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs-2` }));
    clock += D.discoveryTtlMs;
    expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })?.map((key) => key.kid)).toEqual(['k1']);
    await waitFor(() => keySource.getState().url === `${idp.origin}/certs-2`, 'the rediscovery');
    expect(idp.hits.get(WELL_KNOWN)).toBe(2);
  });

  it('keeps a stale document while rediscovery fails, up to maxStaleMs past its TTL', async () => {
    const idp = await provider();
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', sendJson({ keys: [k1] }));
    const keySource = source(idp.origin, {
      discoveryTtlMs: 60_000,
      maxStaleMs: 120_000,
      cacheTtlMs: 600_000,
      backoffMaxMs: 1000,
    });
    const events: string[] = [];
    keySource.subscribe((event) => events.push(event.type));
    await keySource.warmUp();
    const t0 = clock;

    idp.routes.set(WELL_KNOWN, sendJson({ issuer: `${idp.origin}/other`, jwks_uri: `${idp.origin}/certs` }));
    clock = t0 + 60_000;
    expect(await kids(keySource, 'k1')).toEqual(['k1']);
    await waitFor(() => keySource.getState().status === 'stale', 'the failed rediscovery');
    expect(events).toEqual(['refreshed', 'stale']);

    clock = t0 + 60_000 + 120_000 + 1;
    await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
    expect(keySource.getState()).toMatchObject({ status: 'failing', keyIds: [] });
    expect(events).toEqual(['refreshed', 'stale', 'failing']);
    expect(idp.hits.get('/certs')).toBe(1);
  });

  it('reports pending through discovery and the first JWKS fetch, then failing once that fetch fails', async () => {
    const idp = await provider();
    const held: ServerResponse[] = [];
    idp.routes.set(WELL_KNOWN, sendJson({ issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
    idp.routes.set('/certs', (_req, res) => held.push(res));
    const keySource = source(idp.origin);
    const events: string[] = [];
    keySource.subscribe((event) => events.push(event.type));
    expect(keySource.getState()).toMatchObject({
      status: 'pending',
      keyCount: 0,
      consecutiveFailures: 0,
      lastAttemptAt: undefined,
    });

    const warming = keySource.warmUp();
    await waitFor(() => held.length === 1, 'the JWKS request');
    expect(keySource.getState()).toMatchObject({
      status: 'pending',
      url: `${idp.origin}/certs`,
      consecutiveFailures: 0,
    });
    sendJson({}, 500)({} as IncomingMessage, held[0]);
    await warming;
    expect(keySource.getState()).toMatchObject({
      status: 'failing',
      consecutiveFailures: 1,
      lastError: 'unexpected status 500',
    });
    expect(events).toEqual(['failing']);
  });

  it('warmUp() never rejects when the provider is down', async () => {
    const idp = await provider();
    const { origin } = idp;
    await idp.close();
    const keySource = source(origin);
    await expect(keySource.warmUp()).resolves.toBeUndefined();
    expect(keySource.getState()).toMatchObject({
      kind: 'discovery',
      status: 'failing',
      url: `${origin}${WELL_KNOWN}`,
      consecutiveFailures: 1,
    });
  });
});
