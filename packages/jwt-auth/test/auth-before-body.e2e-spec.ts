import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Body, Controller, HttpCode, Post, type INestApplication, type LoggerService } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CurrentUser, JwtAuthModule, OptionalAuth, Public } from '../src';
import { TestIssuer } from '../src/testing';

// SECURITY.md "The request around the token": a guarded route refuses a request without a valid token before its body
// is read or parsed, on Express and on Fastify (decision 014). Raw sockets, so every byte on the wire is the test's.

jest.setTimeout(30_000);

@Controller()
class BodyController {
  @Post('orders')
  @HttpCode(201)
  create(@Body() body: unknown, @CurrentUser('sub') sub: string) {
    return { sub, body };
  }

  @Post('public')
  @Public()
  @HttpCode(200)
  open(@Body() body: unknown) {
    return { body };
  }

  @Post('optional')
  @OptionalAuth()
  @HttpCode(200)
  optional(@Body() body: unknown, @CurrentUser('sub') sub: string | undefined) {
    return { sub: sub ?? null, body };
  }
}

class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string; stack?: string }[] = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown, stack?: unknown) {
    this.lines.push({
      level: 'error',
      message: String(message),
      stack: stack === undefined ? undefined : String(stack),
    });
  }
  debug(message: unknown) {
    this.lines.push({ level: 'debug', message: String(message) });
  }
}

interface Exchange {
  /** Everything the server sent. */
  readonly text: string;
  /** The server closed the connection (within the bound). */
  readonly closed: boolean;
}

/**
 * Send `head` (request line and headers, without the blank line), then optionally `body` once `sendBodyWhen` sees the
 * given text (e.g. "100 Continue"), and collect the answer until the server closes or `untilText` appears. A bounded
 * wait (5 s) only ends a test that would otherwise hang; it is not a speed assertion.
 */
function exchange(
  port: number,
  head: string,
  options: { body?: string; sendBodyWhen?: string; untilText?: RegExp; closeAfterHead?: boolean } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let bodySent = false;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), 5000);
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(`${head}\r\n\r\n`);
      if (options.body !== undefined && options.sendBodyWhen === undefined) {
        socket.write(options.body);
        bodySent = true;
      }
      if (options.closeAfterHead) socket.end();
    });
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!bodySent && options.sendBodyWhen !== undefined && text.includes(options.sendBodyWhen)) {
        bodySent = true;
        socket.write(options.body ?? '');
      }
      if (options.untilText?.test(text)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

const statusOf = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const finalStatusOf = (text: string): number => Number([...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].at(-1)?.[1] ?? 0);
const bodyOf = (text: string): string => text.slice(text.lastIndexOf('\r\n\r\n') + 4);

const MALFORMED = '{"secret-marker": [1, 2,';

async function startApp(
  kind: 'express' | 'fastify',
  issuer: TestIssuer,
  logger: RecordingLogger,
  authenticateBeforeBody?: boolean,
): Promise<{ app: INestApplication; port: number }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwtAuthModule.forRoot({
        ...issuer.issuerOptions('jwks'),
        logger,
        globalGuard: true,
        ...(authenticateBeforeBody === undefined ? {} : { authenticateBeforeBody }),
      }),
    ],
    controllers: [BodyController],
  }).compile();
  const app =
    kind === 'express'
      ? moduleRef.createNestApplication({ logger })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

describe.each(['express', 'fastify'] as const)('authentication before the body (%s)', (kind) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let port: number;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    await issuer.start();
    ({ app, port } = await startApp(kind, issuer, logger));
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.stop();
  });

  beforeEach(() => logger.lines.splice(0));

  const post = (path: string, headers: string[], length: number) =>
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${length}`,
      ...headers,
    ]
      .filter(Boolean)
      .join('\r\n');
  const bearer = () => `Authorization: Bearer ${issuer.sign({ sub: 'alice' })}`;

  it('refuses a malformed JSON body without a token with 401, never a 400 that quotes the body', async () => {
    const reply = await exchange(port, post('/orders', ['Connection: close'], MALFORMED.length), { body: MALFORMED });
    expect(statusOf(reply.text)).toBe(401);
    expect(reply.text).toMatch(/www-authenticate: Bearer/i);
    expect(reply.text).not.toContain('secret-marker');
  });

  it('does not answer 100 Continue to a request without a token: the first answer is the 401', async () => {
    const reply = await exchange(port, post('/orders', ['Expect: 100-continue'], 20), { untilText: /\r\n\r\n/ });
    expect(reply.text).not.toMatch(/100 Continue/);
    expect(statusOf(reply.text)).toBe(401);
  });

  it('answers a declared but missing body (Content-Length: 999999) with 401, closes the connection, logs no error', async () => {
    const reply = await exchange(port, post('/orders', [], 999_999));
    expect(statusOf(reply.text)).toBe(401);
    expect(reply.text).toMatch(/connection: close/i);
    expect(reply.closed).toBe(true);
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('refuses an invalid token before the body as well', async () => {
    const forged = issuer.sign({ sub: 'alice' }).slice(0, -4) + 'AAAA';
    const reply = await exchange(
      port,
      post('/orders', [`Authorization: Bearer ${forged}`, 'Connection: close'], MALFORMED.length),
      { body: MALFORMED },
    );
    expect(statusOf(reply.text)).toBe(401);
    expect(reply.text).not.toContain('secret-marker');
  });

  it('parses the body once the token is valid, after 100 Continue when the client asks for it', async () => {
    const body = JSON.stringify({ sku: 'A-1', quantity: 2 });
    const plain = await exchange(port, post('/orders', [bearer(), 'Connection: close'], body.length), { body });
    expect(statusOf(plain.text)).toBe(201);
    expect(JSON.parse(bodyOf(plain.text))).toEqual({ sub: 'alice', body: { sku: 'A-1', quantity: 2 } });

    const continued = await exchange(
      port,
      post('/orders', [bearer(), 'Expect: 100-continue', 'Connection: close'], body.length),
      { body, sendBodyWhen: '100 Continue' },
    );
    expect(statusOf(continued.text)).toBe(100);
    expect(finalStatusOf(continued.text)).toBe(201);
    expect(JSON.parse(bodyOf(continued.text))).toEqual({ sub: 'alice', body: { sku: 'A-1', quantity: 2 } });
  });

  it('still parses bodies of public and optional routes without a token', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const open = await exchange(port, post('/public', ['Connection: close'], body.length), { body });
    expect(JSON.parse(bodyOf(open.text))).toEqual({ body: { hello: 'world' } });
    const optional = await exchange(port, post('/optional', ['Connection: close'], body.length), { body });
    expect(JSON.parse(bodyOf(optional.text))).toEqual({ sub: null, body: { hello: 'world' } });
  });

  it('answers an authenticated malformed body with 400 that does not quote it', async () => {
    const reply = await exchange(port, post('/orders', [bearer(), 'Connection: close'], MALFORMED.length), {
      body: MALFORMED,
    });
    expect(statusOf(reply.text)).toBe(400);
    expect(reply.text).not.toContain('secret-marker');
  });

  it('logs an aborted authenticated body as one line without a stack, and no error', async () => {
    await exchange(port, post('/orders', [bearer()], 5000), { body: '{"sku":', closeAfterHead: true });
    // The server sees the abort after the client is gone; wait for its log line (bounded, not timed).
    for (let i = 0; i < 100 && !logger.lines.some((l) => /aborted/i.test(l.message)); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    {
      const aborted = logger.lines.filter((l) => /aborted/i.test(l.message));
      expect(aborted).toEqual([
        {
          level: 'warn',
          message: expect.stringMatching(/^Request body aborted by the client: POST "\/orders" \(\d+ of 5000 bytes\)$/),
        },
      ]);
    }
  });
});

describe.each(['express', 'fastify'] as const)('authenticateBeforeBody: false (%s), the control', (kind) => {
  it('lets the body parser read an unauthenticated body first, as Nest does by default', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    await issuer.start();
    const logger = new RecordingLogger();
    const { app, port } = await startApp(kind, issuer, logger, false);
    try {
      const head = [
        'POST /orders HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Content-Length: ${MALFORMED.length}`,
        'Connection: close',
      ].join('\r\n');
      const reply = await exchange(port, head, { body: MALFORMED });
      expect(statusOf(reply.text)).toBe(400);
    } finally {
      await app.close();
      await issuer.stop();
    }
  });
});
