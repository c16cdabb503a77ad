import { randomUUID, type JsonWebKey } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ecJwkPair as ecKey,
  listenOnLoopback,
  respond,
  waitFor,
  type Handler,
  type TestJwkPair as TestKey,
} from '../__fixtures__/jwks-server';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import type { KeySourceEvent } from './key-source.interface';
import { RemoteJwksKeySource, type RemoteKeySourceOptions } from './remote-jwks.key-source';
import { REMOTE_JWKS_DEFAULTS as D } from './remote-jwks.options';

interface JwksServer {
  readonly url: string;
  readonly hits: number;
  /** Replaces how the next requests are answered. */
  handler: Handler;
  close(): Promise<void>;
}

const servers: JwksServer[] = [];
const sources: RemoteJwksKeySource[] = [];

function jwks(...keys: JsonWebKey[]): Handler {
  return respond(200, 'application/jwk-set+json', JSON.stringify({ keys }));
}

async function jwksServer(handler: Handler): Promise<JwksServer> {
  let hits = 0;
  const state = { handler };
  const server = await listenOnLoopback((req, res) => {
    hits += 1;
    state.handler(req, res);
  });
  const result: JwksServer = {
    url: `${server.origin}/jwks`,
    get hits() {
      return hits;
    },
    get handler() {
      return state.handler;
    },
    set handler(next: Handler) {
      state.handler = next;
    },
    close: server.close,
  };
  servers.push(result);
  return result;
}

let clock = 0;
const now = (): number => clock;

function source(url: string, options: RemoteKeySourceOptions = {}): RemoteJwksKeySource {
  const created = new RemoteJwksKeySource(url, { allowInsecureHttp: true, now, timeoutMs: 1000, ...options });
  sources.push(created);
  return created;
}

function record(keySource: RemoteJwksKeySource): KeySourceEvent[] {
  const events: KeySourceEvent[] = [];
  keySource.subscribe((event) => events.push(event));
  return events;
}

/** Lets pending I/O run, so that a request that should not happen would have reached the server. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

async function kids(
  keySource: RemoteJwksKeySource,
  kid: string | undefined,
  alg = 'ES256',
): Promise<(string | undefined)[]> {
  return (await keySource.getKeys({ kid, alg })).map((key) => key.kid);
}

async function unavailable(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe(AuthErrorCode.KEYS_UNAVAILABLE);
    return error as AuthError;
  }
  throw new Error('expected keys_unavailable');
}

let k1: TestKey;
let k2: TestKey;
let k3: TestKey;
let p384: TestKey;
let anonymous: TestKey;

beforeAll(() => {
  k1 = ecKey('k1');
  k2 = ecKey('k2');
  k3 = ecKey('k3');
  p384 = ecKey('p384', 'P-384');
  anonymous = ecKey(undefined);
});

beforeEach(() => {
  clock = Date.UTC(2030, 0, 1);
});

afterEach(async () => {
  sources.splice(0).forEach((keySource) => keySource.close());
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('RemoteJwksKeySource', () => {
  describe('construction', () => {
    it('refuses an http URL unless allowInsecureHttp is set', async () => {
      const server = await jwksServer(jwks(k1.pub));
      expect(() => new RemoteJwksKeySource(server.url, { now })).toThrow(JwtAuthConfigError);
      expect(() => new RemoteJwksKeySource(server.url, { now })).toThrow(/allowInsecureHttp/);
      expect(server.hits).toBe(0);
    });

    it.each(['http://user:secret@127.0.0.1/jwks', 'ftp://127.0.0.1/jwks', 'jwks.json'])('refuses the URL %s', (url) => {
      expect(() => new RemoteJwksKeySource(url, { allowInsecureHttp: true })).toThrow(JwtAuthConfigError);
    });

    it.each([
      [{ refreshAheadMs: D.cacheTtlMs }, 'fetch.refreshAheadMs'],
      [{ timeoutMs: 0 }, 'fetch.timeoutMs'],
      [{ timeoutMs: 2 ** 31 }, 'fetch.timeoutMs'],
      [{ maxBodyBytes: 1.5 }, 'fetch.maxBodyBytes'],
      [{ cooldownMs: -1 }, 'fetch.cooldownMs'],
      [{ maxStaleMs: Number.NaN }, 'fetch.maxStaleMs'],
      [{ backoffInitialMs: 10_000, backoffMaxMs: 1_000 }, 'fetch.backoffMaxMs'],
    ])('refuses the options %j', (options, option) => {
      expect(() => new RemoteJwksKeySource('https://id.example.com/jwks', options)).toThrow(
        expect.objectContaining({ option }),
      );
    });
  });

  describe('lookup', () => {
    it('fetches on the first call and finds a key by exact kid only', async () => {
      const server = await jwksServer(jwks(k1.pub, k2.pub));
      const keySource = source(server.url);
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(server.hits).toBe(1);
      for (const kid of ['K1', 'k1 ', ' k1', 'k', '__proto__', 'constructor', 'toString']) {
        expect(await kids(keySource, kid)).toEqual([]);
      }
      expect(await kids(keySource, 'k2', 'RS256')).toEqual(['k2']);
    });

    it('without a kid returns every key that can verify the alg', async () => {
      const server = await jwksServer(jwks(k1.pub, p384.pub, anonymous.pub));
      const keySource = source(server.url);
      expect(await kids(keySource, undefined, 'ES256')).toEqual(['k1', undefined]);
      expect(await kids(keySource, undefined, 'ES384')).toEqual(['p384']);
      expect(await kids(keySource, undefined, 'RS256')).toEqual([]);
    });

    it('drops keys that fit none of the issuer algorithms', async () => {
      const server = await jwksServer(jwks(k1.pub, p384.pub));
      const keySource = source(server.url, { algorithms: new Set(['ES256']) });
      expect(await kids(keySource, 'p384', 'ES384')).toEqual([]);
      expect(keySource.getState().keyIds).toEqual(['k1']);
      expect(keySource.getState().rejectedKeys).toEqual([
        { kid: 'p384', reason: expect.stringContaining('allowed algorithms') },
      ]);
    });

    it('shares one in-flight fetch among concurrent callers', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      const results = await Promise.all(Array.from({ length: 20 }, () => kids(keySource, 'k1')));
      expect(results).toEqual(Array.from({ length: 20 }, () => ['k1']));
      expect(server.hits).toBe(1);
    });

    it('costs at most 2 fetches for a flood of 200 random kids against a cold cache', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      const flood = (): Promise<(string | undefined)[][]> =>
        Promise.all(Array.from({ length: 200 }, () => kids(keySource, randomUUID())));
      expect((await flood()).every((found) => found.length === 0)).toBe(true);
      expect(server.hits).toBeLessThanOrEqual(2);
      const afterFirstFlood = server.hits;
      clock += D.cooldownMs;
      expect((await flood()).every((found) => found.length === 0)).toBe(true);
      expect(server.hits).toBe(afterFirstFlood + 1);
    });

    it('does not let callers that waited for a fetch start another one, even without a cooldown', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url, { cooldownMs: 0 });
      const results = await Promise.all(Array.from({ length: 200 }, () => kids(keySource, randomUUID())));
      expect(results.every((found) => found.length === 0)).toBe(true);
      expect(server.hits).toBe(1);
    });
  });

  describe('unknown kid and rotation', () => {
    it('refetches for an unknown kid at most once per cooldown', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      expect(await kids(keySource, 'k2')).toEqual([]);
      expect(server.hits).toBe(1);
      clock += D.cooldownMs - 1;
      expect(await kids(keySource, 'k2')).toEqual([]);
      expect(server.hits).toBe(1);
      clock += 1;
      expect(await kids(keySource, 'k2')).toEqual([]);
      expect(server.hits).toBe(2);
      expect(await kids(keySource, 'k3')).toEqual([]);
      expect(server.hits).toBe(2);
    });

    it('accepts a new kid after the cooldown and retires a removed kid after refresh', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      const t0 = clock;
      server.handler = jwks(k1.pub, k2.pub);
      expect(await kids(keySource, 'k2')).toEqual([]);
      clock = t0 + D.cooldownMs;
      expect(await kids(keySource, 'k2')).toEqual(['k2']);
      expect(server.hits).toBe(2);
      const rotatedAt = clock;

      server.handler = jwks(k2.pub);
      clock = rotatedAt + D.cacheTtlMs - D.refreshAheadMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => keySource.getState().keyIds.length === 1, 'the refresh');
      expect(await kids(keySource, 'k1')).toEqual([]);
      expect(await kids(keySource, 'k2')).toEqual(['k2']);
      expect(server.hits).toBe(3);
    });

    it('lets a caller with an unknown kid wait for a refresh already under way', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      const held: ServerResponse[] = [];
      server.handler = (_req, res) => held.push(res);
      clock += D.cacheTtlMs - D.refreshAheadMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      const waiting = kids(keySource, 'k3');
      await waitFor(() => held.length === 1, 'the background request');
      jwks(k1.pub, k3.pub)({} as IncomingMessage, held[0]);
      expect(await waiting).toEqual(['k3']);
      expect(server.hits).toBe(2);
    });

    it('answers an unknown kid with [] at once during the cooldown', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      const held: ServerResponse[] = [];
      server.handler = (_req, res) => held.push(res);
      expect(await kids(keySource, 'k2')).toEqual([]);
      await settle();
      expect(held).toHaveLength(0);
    });
  });

  describe('getKeysSync', () => {
    it('answers from usable cached keys, refuses unknown kids inside the cooldown, leaves the rest to getKeys', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })).toBeUndefined();
      expect(server.hits).toBe(0);
      await keySource.warmUp();
      expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })?.map((key) => key.kid)).toEqual(['k1']);
      expect(keySource.getKeysSync({ kid: undefined, alg: 'ES256' })?.map((key) => key.kid)).toEqual(['k1']);
      // Inside the refetch cooldown, getKeys would answer [] without a fetch: so does getKeysSync.
      expect(keySource.getKeysSync({ kid: 'k2', alg: 'ES256' })).toEqual([]);
      clock += D.cooldownMs;
      expect(keySource.getKeysSync({ kid: 'k2', alg: 'ES256' })).toBeUndefined();
      expect(server.hits).toBe(1);
      clock += D.maxStaleMs + 1;
      expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })).toBeUndefined();
    });

    it('starts the background refresh when it is due, like getKeys', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      clock += D.cacheTtlMs - D.refreshAheadMs;
      expect(keySource.getKeysSync({ kid: 'k1', alg: 'ES256' })?.map((key) => key.kid)).toEqual(['k1']);
      await waitFor(() => server.hits === 2, 'the background refresh');
      await settle();
      expect(keySource.getState().lastSuccessAt).toBe(clock);
    });
  });

  describe('soft TTL', () => {
    it('refreshes in the background ahead of expiry while callers are served from cache', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      const t0 = clock;

      clock = t0 + D.cacheTtlMs - D.refreshAheadMs - 1;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await settle();
      expect(server.hits).toBe(1);

      const held: ServerResponse[] = [];
      server.handler = (_req, res) => held.push(res);
      clock = t0 + D.cacheTtlMs - D.refreshAheadMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => held.length === 1, 'the background request');
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(keySource.getState().lastSuccessAt).toBe(t0);
      expect(server.hits).toBe(2);

      jwks(k1.pub, k3.pub)({} as IncomingMessage, held[0]);
      await waitFor(() => keySource.getState().keyIds.includes('k3'), 'the refreshed set');
      expect(await kids(keySource, 'k3')).toEqual(['k3']);
      expect(keySource.getState().lastSuccessAt).toBe(clock);
      expect(server.hits).toBe(2);
    });

    it('refreshes in the foreground once the set is past maxStaleMs without traffic', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      await keySource.warmUp();
      server.handler = jwks(k2.pub);
      clock += D.maxStaleMs + 1;
      expect(await kids(keySource, 'k2')).toEqual(['k2']);
      expect(server.hits).toBe(2);
    });
  });

  describe('stale-if-error', () => {
    const padding = 'x'.repeat(8 * 1024);
    const failures: [string, () => Handler][] = [
      ['status 500', () => respond(500, 'application/json', '{}')],
      ['an HTML page with status 200', () => respond(200, 'text/html', '<html>sign in</html>')],
      ['a redirect', () => respond(302, 'application/json', '{}')],
      ['a non-JSON body', () => respond(200, 'application/json', 'not json')],
      [
        'duplicate JSON members',
        () => respond(200, 'application/json', `{"keys":[${JSON.stringify(k1.pub)}],"keys":[]}`),
      ],
      ['empty keys', () => jwks()],
      ['a body that is not a key set', () => respond(200, 'application/json', '{"keys":{}}')],
      ['too many keys', () => jwks(k1.pub, k2.pub, k3.pub)],
      ['only rejected members', () => jwks(k2.priv)],
      ['a body over the cap', () => respond(200, 'application/json', `{"keys":[],"pad":"${padding}"}`)],
      ['a timeout', () => () => undefined],
      ['a dropped connection', () => (req) => req.socket.destroy()],
    ];
    const limits = { maxKeys: 2, timeoutMs: 200, maxBodyBytes: 4096 };

    it.each(failures)('keeps serving the last good set after %s', async (_name, failure) => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url, limits);
      await keySource.warmUp();
      server.handler = failure();
      clock += D.cacheTtlMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => keySource.getState().consecutiveFailures === 1, 'the failed refresh');
      const state = keySource.getState();
      expect(state.status).toBe('stale');
      expect(state.keyIds).toEqual(['k1']);
      expect(state.lastError).toEqual(expect.any(String));
      expect(server.hits).toBe(2);
    });

    it.each(failures)('rejects with keys_unavailable on a cold cache after %s', async (_name, failure) => {
      const server = await jwksServer(failure());
      const keySource = source(server.url, limits);
      const error = await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
      expect(error.status).toBe(401);
      expect(keySource.getState().status).toBe('failing');
    });

    it('serves stale keys during an outage, then refuses them after maxStaleMs, then recovers', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url, { backoffInitialMs: 1000, backoffMaxMs: 1000 });
      const events = record(keySource);
      await keySource.warmUp();
      const t0 = clock;
      server.handler = respond(503, 'application/json', '{}');

      clock = t0 + D.cacheTtlMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => keySource.getState().consecutiveFailures === 1, 'the failed refresh');
      expect(events.map((event) => event.type)).toEqual(['refreshed', 'stale']);
      expect(events[1]).toMatchObject({ error: 'unexpected status 503', state: { status: 'stale', keyIds: ['k1'] } });

      clock = t0 + D.maxStaleMs;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => keySource.getState().consecutiveFailures === 2, 'the second failed refresh');

      clock = t0 + D.maxStaleMs + 1;
      await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
      await unavailable(keySource.getKeys({ kid: undefined, alg: 'ES256' }));
      expect(server.hits).toBe(3);
      expect(keySource.getState()).toMatchObject({ status: 'failing', keyIds: [], keyCount: 0, lastSuccessAt: t0 });
      expect(events.map((event) => event.type)).toEqual(['refreshed', 'stale', 'failing']);

      server.handler = jwks(k1.pub);
      clock += 1000;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(keySource.getState()).toMatchObject({ status: 'fresh', consecutiveFailures: 0, lastSuccessAt: clock });
      expect(events.map((event) => event.type)).toEqual(['refreshed', 'stale', 'failing', 'refreshed', 'recovered']);
    });
  });

  describe('backoff', () => {
    it('does not fetch during the backoff window, and doubles it after each failure', async () => {
      const server = await jwksServer(respond(500, 'application/json', '{}'));
      const keySource = source(server.url, { backoffInitialMs: 1000, backoffMaxMs: 60_000 });
      const lookup = { kid: 'k1', alg: 'ES256' };
      await unavailable(keySource.getKeys(lookup));
      expect(server.hits).toBe(1);

      clock += 500;
      await unavailable(keySource.getKeys(lookup));
      await keySource.warmUp();
      expect(server.hits).toBe(1);

      clock += 500;
      await unavailable(keySource.getKeys(lookup));
      expect(server.hits).toBe(2);

      clock += 1000;
      await unavailable(keySource.getKeys(lookup));
      expect(server.hits).toBe(2);

      clock += 1000;
      await unavailable(keySource.getKeys(lookup));
      expect(server.hits).toBe(3);
      expect(keySource.getState().consecutiveFailures).toBe(3);

      server.handler = jwks(k1.pub);
      clock += 3000;
      await unavailable(keySource.getKeys(lookup));
      expect(server.hits).toBe(3);
      clock += 1000;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(server.hits).toBe(4);
    });

    it('caps the backoff at backoffMaxMs', async () => {
      const server = await jwksServer(respond(500, 'application/json', '{}'));
      const keySource = source(server.url, { backoffInitialMs: 1000, backoffMaxMs: 2000 });
      for (let attempt = 1; attempt <= 5; attempt++) {
        await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
        expect(server.hits).toBe(attempt);
        clock += 2000;
      }
    });

    it('holds back background refreshes and unknown-kid refetches while stale', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url, { backoffInitialMs: 1000, backoffMaxMs: 1000 });
      await keySource.warmUp();
      server.handler = respond(500, 'application/json', '{}');
      clock += D.cacheTtlMs;
      await kids(keySource, 'k1');
      await waitFor(() => keySource.getState().consecutiveFailures === 1, 'the failed refresh');

      clock += 500;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(await kids(keySource, 'unknown')).toEqual([]);
      await settle();
      expect(server.hits).toBe(2);

      clock += 500;
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      await waitFor(() => server.hits === 3, 'the retry');
    });
  });

  describe('reporting', () => {
    it('drops a member carrying private key material and reports it without the key', async () => {
      const server = await jwksServer(jwks(k1.pub, k2.priv));
      const keySource = source(server.url);
      const events = record(keySource);
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      expect(await kids(keySource, 'k2')).toEqual([]);
      const state = keySource.getState();
      expect(state.keyIds).toEqual(['k1']);
      expect(state.rejectedKeys).toEqual([{ kid: 'k2', reason: expect.stringContaining('private') }]);
      expect(events.map((event) => event.type)).toEqual(['keys-rejected', 'refreshed']);
      expect(events[0].state.rejectedKeys).toEqual(state.rejectedKeys);
      const reported = JSON.stringify([state, events]);
      expect(reported).not.toContain(String(k2.priv.d));
      expect(reported).not.toContain(String(k1.pub.x));
    });

    it('reports pending until the first fetch completes, without an event, and failing once it has failed', async () => {
      const held: ServerResponse[] = [];
      const server = await jwksServer((_req, res) => held.push(res));
      const keySource = source(server.url);
      const events = record(keySource);
      expect(keySource.getState()).toMatchObject({
        status: 'pending',
        keyCount: 0,
        consecutiveFailures: 0,
        lastAttemptAt: undefined,
      });

      const warming = keySource.warmUp();
      await waitFor(() => held.length === 1, 'the first request');
      expect(keySource.getState()).toMatchObject({ status: 'pending', lastAttemptAt: clock });
      respond(503, 'application/json', '{}')({} as IncomingMessage, held[0]);
      await warming;
      expect(keySource.getState()).toMatchObject({
        status: 'failing',
        consecutiveFailures: 1,
        lastError: 'unexpected status 503',
      });
      expect(events.map((event) => event.type)).toEqual(['failing']);
    });

    it('goes from pending to fresh with a refreshed event only', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      const events = record(keySource);
      expect(keySource.getState().status).toBe('pending');
      await keySource.warmUp();
      expect(keySource.getState().status).toBe('fresh');
      expect(events.map((event) => event.type)).toEqual(['refreshed']);
    });

    it('reports the state of a source that never succeeded', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const { url } = server;
      await server.close();
      const keySource = source(url);
      await expect(keySource.warmUp()).resolves.toBeUndefined();
      expect(keySource.getState()).toEqual({
        kind: 'jwks',
        url,
        status: 'failing',
        keyIds: [],
        keyCount: 0,
        lastSuccessAt: undefined,
        lastAttemptAt: clock,
        lastError: 'network error (ECONNREFUSED)',
        consecutiveFailures: 1,
        rejectedKeys: [],
        // The retry is due after the (jittered) first backoff.
        nextRefreshAt: expect.any(Number),
        fetchCounts: { succeeded: 0, failed: 1 },
        staleServed: 0,
        refetchesSuppressed: 0,
      });
      expect(keySource.getState().nextRefreshAt).toBeGreaterThan(clock);
    });

    it('swallows throwing listeners and stops calling unsubscribed ones', async () => {
      const server = await jwksServer(jwks(k1.pub));
      const keySource = source(server.url);
      const received: string[] = [];
      keySource.subscribe(() => {
        throw new Error('listener bug');
      });
      keySource.subscribe((() => Promise.reject(new Error('async listener bug'))) as never);
      const unsubscribe = keySource.subscribe((event) => received.push(`a:${event.type}`));
      keySource.subscribe((event) => received.push(`b:${event.type}`));
      expect(await kids(keySource, 'k1')).toEqual(['k1']);
      unsubscribe();
      clock += D.cooldownMs;
      await kids(keySource, 'k9');
      expect(received).toEqual(['a:refreshed', 'b:refreshed', 'b:refreshed']);
    });

    it('close() aborts a fetch under way and fetches no more', async () => {
      let request: IncomingMessage | undefined;
      const server = await jwksServer((req) => {
        request = req;
      });
      const keySource = source(server.url, { timeoutMs: 5000 });
      const warming = keySource.warmUp();
      await waitFor(() => request !== undefined, 'the request');
      const closedAt = Date.now();
      keySource.close();
      await expect(warming).resolves.toBeUndefined();
      await waitFor(() => request?.socket.destroyed === true, 'the socket to close');
      expect(Date.now() - closedAt).toBeLessThan(1000);
      await unavailable(keySource.getKeys({ kid: 'k1', alg: 'ES256' }));
      expect(server.hits).toBe(1);
    });
  });
});
