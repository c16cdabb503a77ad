import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants as zlibConstants, deflateSync, gzipSync } from 'node:zlib';
import { FetchError, checkFetchUrl, fetchJson } from './http-fetch';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  readonly url: string;
  readonly hits: number;
  readonly requests: { readonly url: string; readonly headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function serve(handler: Handler): Promise<TestServer> {
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return requests.length;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(testServer);
  return testServer;
}

function json(body: string | Buffer, headers: Record<string, string | number> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FetchError);
    return error as FetchError;
  }
  throw new Error('expected the fetch to fail');
}

function closed(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => (req.socket.destroyed ? resolve() : req.socket.once('close', () => resolve())));
}

const insecure = { allowInsecureHttp: true } as const;

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('fetchJson', () => {
  describe('successful responses', () => {
    it('parses the body strictly into null-prototype objects', async () => {
      const server = await serve(json('{"keys":[{"kid":"a"}],"__proto__":{"polluted":true}}'));
      const body = (await fetchJson(`${server.url}/jwks`, insecure)) as Record<string, unknown>;
      expect(Object.getPrototypeOf(body)).toBeNull();
      expect(body['keys']).toEqual([expect.objectContaining({ kid: 'a' })]);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it('asks for compressed JSON and sends no credentials or cookies', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=abc; Path=/' });
        res.end('{}');
      });
      await fetchJson(`${server.url}/jwks`, insecure);
      await fetchJson(`${server.url}/jwks`, insecure);
      expect(server.hits).toBe(2);
      for (const { headers } of server.requests) {
        expect(headers['accept-encoding']).toBe('gzip, deflate, br');
        expect(headers['accept']).toContain('application/json');
        expect(headers['cookie']).toBeUndefined();
        expect(headers['authorization']).toBeUndefined();
        expect(headers['proxy-authorization']).toBeUndefined();
      }
    });

    it.each([
      'application/json',
      'application/jwk-set+json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/problem+json',
    ])('accepts content type %s', async (contentType) => {
      const server = await serve(json('{"ok":true}', { 'content-type': contentType }));
      await expect(fetchJson(server.url, insecure)).resolves.toEqual(expect.objectContaining({ ok: true }));
    });

    it.each([
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const)('decodes a %s body', async (encoding, compress) => {
      const server = await serve(json(compress(Buffer.from('{"keys":[]}')), { 'content-encoding': encoding }));
      await expect(fetchJson(server.url, insecure)).resolves.toEqual({ keys: [] });
    });

    it('accepts a body of exactly maxBodyBytes and refuses one byte more', async () => {
      const body = (length: number): string => `{"a":"${'x'.repeat(length - 8)}"}`;
      expect(body(1000)).toHaveLength(1000);
      const exact = await serve(json(body(1000)));
      const over = await serve(json(body(1001)));
      await expect(fetchJson(exact.url, { ...insecure, maxBodyBytes: 1000 })).resolves.toBeDefined();
      expect((await failure(fetchJson(over.url, { ...insecure, maxBodyBytes: 1000 }))).reason).toBe('too-large');
    });
  });

  describe('URL rules', () => {
    it('refuses plain http unless allowInsecureHttp is set, without connecting', async () => {
      const server = await serve(json('{}'));
      const error = await failure(fetchJson(server.url));
      expect(error.reason).toBe('url');
      expect(server.hits).toBe(0);
      await expect(fetchJson(server.url, insecure)).resolves.toEqual({});
    });

    it('refuses a URL with user or password, without connecting', async () => {
      const server = await serve(json('{}'));
      const withCredentials = server.url.replace('http://', 'http://user:secret@');
      const error = await failure(fetchJson(withCredentials, insecure));
      expect(error.reason).toBe('url');
      expect(error.message).not.toContain('secret');
      expect((await failure(fetchJson(server.url.replace('http://', 'http://user@'), insecure))).reason).toBe('url');
      expect(server.hits).toBe(0);
    });

    it.each(['ftp://127.0.0.1/jwks', 'file:///etc/passwd', 'data:application/json,{}', '/relative/jwks', 'not a url'])(
      'refuses %s',
      async (url) => {
        expect((await failure(fetchJson(url, insecure))).reason).toBe('url');
      },
    );

    it('checkFetchUrl accepts https and refuses http by default', () => {
      expect(checkFetchUrl('https://id.example.com/jwks').hostname).toBe('id.example.com');
      expect(() => checkFetchUrl('http://id.example.com/jwks')).toThrow(FetchError);
      expect(checkFetchUrl('http://127.0.0.1/jwks', true).protocol).toBe('http:');
    });
  });

  describe('status and content type', () => {
    it.each([301, 302, 303, 307, 308])('does not follow a %i redirect', async (status) => {
      const target = await serve(json('{"keys":[]}'));
      const redirecting = await serve((_req, res) => {
        res.writeHead(status, { location: `${target.url}/jwks`, 'content-type': 'application/json' });
        res.end('{}');
      });
      const error = await failure(fetchJson(redirecting.url, insecure));
      expect(error.reason).toBe('status');
      expect(error.message).toContain('redirect');
      expect(target.hits).toBe(0);
    });

    it.each([500, 404, 204, 201])('fails on status %i without echoing the body', async (status) => {
      const server = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 204 ? undefined : '{"detail":"body-marker"}');
      });
      const error = await failure(fetchJson(server.url, insecure));
      expect(error.reason).toBe('status');
      expect(error.message).not.toContain('body-marker');
    });

    it.each(['text/html', 'text/plain', 'application/jsonp', 'application/json-seq', 'application/octet-stream'])(
      'fails on a 200 with content type %s',
      async (contentType) => {
        const server = await serve(json('{"keys":[]}', { 'content-type': contentType }));
        expect((await failure(fetchJson(server.url, insecure))).reason).toBe('content-type');
      },
    );

    it('fails on an HTML login page served with 200, without echoing it', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<html><body>Sign in: body-marker</body></html>');
      });
      const error = await failure(fetchJson(server.url, insecure));
      expect(error.reason).toBe('content-type');
      expect(error.message).not.toContain('body-marker');
    });

    it('fails when there is no content type', async () => {
      const server = await serve((_req, res) => {
        res.removeHeader('content-type');
        res.writeHead(200);
        res.end('{}');
      });
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('content-type');
    });
  });

  describe('deadline', () => {
    it('fails a slow-drip body at the deadline and closes the socket', async () => {
      let request: IncomingMessage | undefined;
      let drip: NodeJS.Timeout | undefined;
      const server = await serve((req, res) => {
        request = req;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        drip = setInterval(() => res.write(' '), 20);
        req.socket.once('close', () => clearInterval(drip));
      });
      const started = Date.now();
      const error = await failure(fetchJson(server.url, { ...insecure, timeoutMs: 300 }));
      const elapsed = Date.now() - started;
      clearInterval(drip);
      expect(error.reason).toBe('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
      expect(server.hits).toBe(1);
      await closed(request as IncomingMessage);
    });

    it('fails when the headers never come', async () => {
      const server = await serve(() => undefined);
      const started = Date.now();
      expect((await failure(fetchJson(server.url, { ...insecure, timeoutMs: 200 }))).reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('stops when the signal aborts', async () => {
      let request: IncomingMessage | undefined;
      const server = await serve((req) => {
        request = req;
      });
      const controller = new AbortController();
      const pending = fetchJson(server.url, { ...insecure, signal: controller.signal });
      while (server.hits === 0) await new Promise(setImmediate);
      controller.abort();
      expect((await failure(pending)).reason).toBe('aborted');
      await closed(request as IncomingMessage);
    });
  });

  describe('size cap', () => {
    it('cuts a streamed 64 MiB body at the cap, quickly, and closes the connection', async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let written = 0;
      let request: IncomingMessage | undefined;
      const server = await serve((req, res) => {
        request = req;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[]}');
        const pump = (): void => {
          while (written < 64 * 1024 * 1024 && !res.destroyed) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      const started = Date.now();
      const error = await failure(fetchJson(server.url, insecure));
      expect(error.reason).toBe('too-large');
      expect(Date.now() - started).toBeLessThan(2000);
      await closed(request as IncomingMessage);
      // Socket buffers let the server get somewhat ahead, but nowhere near the whole body.
      expect(written).toBeLessThan(16 * 1024 * 1024);
    });

    it('fails at once when Content-Length announces more than the cap', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 64 * 1024 * 1024 });
        res.flushHeaders();
      });
      const started = Date.now();
      expect((await failure(fetchJson(server.url, { ...insecure, timeoutMs: 3000 }))).reason).toBe('too-large');
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('cuts a gzip bomb that is far below the cap when compressed', async () => {
      // Without a cap on the decoded size this is a valid 64 MiB JSON document (trailing whitespace).
      const bomb = gzipSync(Buffer.concat([Buffer.from('{"keys":[]}'), Buffer.alloc(64 * 1024 * 1024, 0x20)]), {
        level: 9,
      });
      expect(bomb.length).toBeLessThan(128 * 1024);
      const server = await serve(json(bomb, { 'content-encoding': 'gzip' }));
      const started = Date.now();
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('too-large');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('cuts a gzip bomb (1 GiB decoded from about 1 MiB) at the decoded cap', async () => {
      const spaces = Buffer.alloc(16 * 1024 * 1024, 0x20);
      const head = gzipSync(Buffer.concat([Buffer.from('{"keys":[]}'), spaces]), { level: 9 });
      const member = gzipSync(spaces, { level: 9 });
      // Concatenated gzip members decode as one stream; without the cap this is valid JSON (trailing whitespace).
      const bomb = Buffer.concat([head, ...Array.from({ length: 63 }, () => member)]);
      expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
      const server = await serve(json(bomb, { 'content-encoding': 'gzip' }));
      const started = Date.now();
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('too-large');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('caps the compressed bytes too, so a stream that inflates to almost nothing is cut', async () => {
      const empty = gzipSync(Buffer.alloc(0));
      const body = Buffer.concat([gzipSync(Buffer.from('{}')), ...Array.from({ length: 50_000 }, () => empty)]);
      expect(body.length).toBeGreaterThan(512 * 1024);
      const server = await serve(json(body, { 'content-encoding': 'gzip' }));
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('too-large');
    });

    it.each([
      ['deflate', (data: Buffer) => deflateSync(data, { level: 9 })],
      ['br', (data: Buffer) => brotliCompressSync(data, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } })],
    ] as const)('cuts a %s bomb that is far below the cap when compressed', async (encoding, compress) => {
      const bomb = compress(Buffer.concat([Buffer.from('{"keys":[]}'), Buffer.alloc(64 * 1024 * 1024, 0x20)]));
      expect(bomb.length).toBeLessThan(128 * 1024);
      const server = await serve(json(bomb, { 'content-encoding': encoding }));
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('too-large');
    });
  });

  describe('encoding and JSON', () => {
    it.each(['compress', 'gzip, br', 'zstd'])('refuses content encoding %s', async (encoding) => {
      const server = await serve(json('{}', { 'content-encoding': encoding }));
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('encoding');
    });

    it('refuses a corrupt gzip body', async () => {
      const server = await serve(json(Buffer.from('definitely not gzip'), { 'content-encoding': 'gzip' }));
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('encoding');
    });

    it.each([
      ['non-JSON', Buffer.from('hello, body-marker')],
      ['truncated JSON', Buffer.from('{"keys":[')],
      ['duplicate members', Buffer.from('{"keys":[],"keys":[{"kty":"oct","k":"AAAA"}]}')],
      ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
      ['deep nesting', Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`)],
    ])('refuses %s without echoing the body', async (_name, body) => {
      const server = await serve(json(body));
      const error = await failure(fetchJson(server.url, insecure));
      expect(error.reason).toBe('json');
      expect(error.message).not.toContain('body-marker');
    });
  });

  describe('network', () => {
    it('fails when the connection is refused', async () => {
      const server = await serve(json('{}'));
      const { url } = server;
      await server.close();
      expect((await failure(fetchJson(url, insecure))).reason).toBe('network');
    });

    it('fails when the connection drops mid-body', async () => {
      const server = await serve((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[', () => req.socket.destroy());
      });
      expect((await failure(fetchJson(server.url, insecure))).reason).toBe('network');
    });
  });
});
