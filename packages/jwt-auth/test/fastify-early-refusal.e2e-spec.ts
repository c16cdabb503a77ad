import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Injectable, type CanActivate, type LoggerService } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  AccessTokenVerifier,
  CurrentUser,
  JwtAuthModule,
  OptionalAuth,
  Public,
  Scopes,
  type TokenExtractor,
} from '../src';
import { TestIssuer } from '../src/testing';

// On Fastify, a guarded request without a body has its token verified in the module's onRequest hook: a refused token is
// answered there, before Nest's pipeline, exactly as the guard would answer it, and an accepted one is verified once
// (decision 023). `authenticateBeforeBody: false` is the control: every request goes through Nest's guards.

jest.setTimeout(30_000);

@Controller()
class EarlyController {
  @Get('orders')
  @Scopes('orders:read')
  orders(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Get('optional')
  @OptionalAuth()
  optional(@CurrentUser('sub') sub: string | undefined) {
    return { sub: sub ?? null };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }
}

/** Registered before JwtAuthGuard: counts the requests that entered Nest's guard chain. */
@Injectable()
class CountingGuard implements CanActivate {
  static calls = 0;
  canActivate(): boolean {
    CountingGuard.calls += 1;
    return true;
  }
}

class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  warn(message: unknown) {
    this.lines.push(String(message));
  }
  error(message: unknown) {
    this.lines.push(String(message));
  }
}

interface Started {
  readonly app: NestFastifyApplication;
  readonly url: string;
  /** Verifier events since the last reset, in order: `hit`, `verified` or the refusal code. */
  readonly events: string[];
  readonly logger: RecordingLogger;
}

type FastifyHook = (
  request: { headers: Record<string, unknown> },
  reply: { send: (payload: unknown) => unknown },
  done: () => void,
) => void;

interface StartOptions {
  readonly authenticateBeforeBody?: boolean;
  /** An onRequest hook registered before init, so it runs ahead of the module's. */
  readonly hookBefore?: FastifyHook;
  /** A preHandler hook: it runs after the module's onRequest check and before the guards. */
  readonly preHandler?: FastifyHook;
  readonly extractors?: TokenExtractor[];
}

async function start(issuer: TestIssuer, options: StartOptions = {}): Promise<Started> {
  const { authenticateBeforeBody = true, hookBefore, preHandler, extractors } = options;
  const logger = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwtAuthModule.forRoot({
        ...issuer.issuerOptions('jwks'),
        globalGuard: true,
        authenticateBeforeBody,
        extractors,
        logger,
        rejectionLogLevel: 'warn',
      }),
    ],
    controllers: [EarlyController],
    providers: [{ provide: APP_GUARD, useClass: CountingGuard }],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  if (hookBefore !== undefined) app.getHttpAdapter().getInstance().addHook('onRequest', hookBefore);
  if (preHandler !== undefined) app.getHttpAdapter().getInstance().addHook('preHandler', preHandler);
  const events: string[] = [];
  app.get(AccessTokenVerifier).observe({
    cacheHit: () => events.push('hit'),
    verified: () => events.push('verified'),
    rejected: (code) => events.push(code),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, events, logger };
}

interface Answer {
  readonly status: number;
  readonly challenge: string | null;
  readonly type: string | null;
  readonly body: unknown;
}

async function get(url: string, token?: string): Promise<Answer> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    type: response.headers.get('content-type'),
    body: await response.json(),
  };
}

describe('Fastify: refusals answered in the onRequest hook', () => {
  let issuer: TestIssuer;
  let stranger: TestIssuer;
  let early: Started;
  let control: Started;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    await issuer.start();
    stranger = await TestIssuer.create({ algorithms: ['ES256'], issuer: 'https://stranger.example' });
    early = await start(issuer);
    control = await start(issuer, { authenticateBeforeBody: false });
  });

  afterAll(async () => {
    await early?.app.close();
    await control?.app.close();
    await issuer?.stop();
  });

  beforeEach(() => {
    CountingGuard.calls = 0;
    early.events.splice(0);
    control.events.splice(0);
    early.logger.lines.splice(0);
  });

  const refused = (): Record<string, string> => {
    const valid = issuer.sign({ sub: 'alice', scope: 'orders:read' });
    const [head, payload] = valid.split('.');
    return {
      malformed: `${head}.${payload}!.AAAA`,
      'unknown issuer': stranger.sign({ sub: 'alice', scope: 'orders:read' }),
      'unknown kid': issuer.sign({ sub: 'alice', scope: 'orders:read' }, { kid: 'no-such-kid' }),
      'forged signature': issuer.sign(
        { sub: 'alice', scope: 'orders:read' },
        { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
      ),
      expired: issuer.sign({ sub: 'alice', scope: 'orders:read' }, { expiresIn: -120 }),
    };
  };

  it.each(['malformed', 'unknown issuer', 'unknown kid', 'forged signature', 'expired'])(
    'answers a %s token before any guard runs, exactly as the guard answers it',
    async (name) => {
      const token = refused()[name];
      const answer = await get(`${early.url}/orders`, token);
      expect(CountingGuard.calls).toBe(0);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toMatch(/^Bearer error="invalid_token", error_description="/);
      expect(await get(`${control.url}/orders`, token)).toEqual(answer);
      expect(CountingGuard.calls).toBe(1);
      // The same verifications in both: the hook's in the early app, the guard's in the control (none for the malformed
      // one, which the Authorization header's parser refuses).
      expect(early.events).toHaveLength(name === 'malformed' ? 0 : 1);
      expect(early.events).toEqual(control.events);
      // Again: a refusal shared between requests (malformed, unknown issuer, unknown kid) is answered from the hook's
      // memo this time, and still exactly as the guard answers it.
      expect(await get(`${early.url}/orders`, token)).toEqual(answer);
      expect(CountingGuard.calls).toBe(1);
    },
  );

  it('logs an early refusal at rejectionLogLevel with its code, never the token', async () => {
    const token = refused()['unknown kid'];
    await get(`${early.url}/orders`, token);
    expect(early.logger.lines).toEqual([
      expect.stringMatching(/^Rejected http call to GET "\/orders": code=key_not_found /),
    ]);
    expect(early.logger.lines[0]).toContain('kid="no-such-kid"');
    expect(early.logger.lines[0]).not.toContain(token.split('.')[2]);
  });

  it('logs the path without its query string, which may carry a token', async () => {
    const token = refused()['unknown kid'];
    await get(`${early.url}/orders?access_token=${token}&page=2`, token);
    expect(early.logger.lines).toEqual([
      expect.stringMatching(/^Rejected http call to GET "\/orders": code=key_not_found /),
    ]);
    expect(early.logger.lines[0]).not.toContain(token.slice(0, 20));
  });

  it('verifies an accepted token once: the guard takes the principal the hook accepted', async () => {
    const token = issuer.sign({ sub: 'alice', scope: 'orders:read' });
    expect(await get(`${early.url}/orders`, token)).toMatchObject({ status: 200, body: { sub: 'alice' } });
    expect(await get(`${early.url}/orders`, token)).toMatchObject({ status: 200, body: { sub: 'alice' } });
    expect(early.events).toEqual(['verified', 'hit']);
    expect(CountingGuard.calls).toBe(2);
  });

  it('verifies again when the Authorization header changed between the hook and the guard', async () => {
    const alice = issuer.sign({ sub: 'alice', scope: 'orders:read' });
    const bob = issuer.sign({ sub: 'bob', scope: 'orders:read' });
    // A hook that runs after the module's and before the guards swaps the header, as a header-rewriting plugin might.
    const swapping = await start(issuer, {
      preHandler: (request, _reply, done) => {
        request.headers['authorization'] = `Bearer ${bob}`;
        done();
      },
    });
    try {
      expect(await get(`${swapping.url}/orders`, alice)).toMatchObject({ status: 200, body: { sub: 'bob' } });
      // Alice's token by the hook, then Bob's by the guard: the guard never takes the hook's token for another header.
      expect(swapping.events).toEqual(['verified', 'verified']);
    } finally {
      await swapping.app.close();
    }
  });

  it('refuses a token an extractor finds after the hook next to the header token: the guard reads the request again', async () => {
    const alice = issuer.sign({ sub: 'alice', scope: 'orders:read' });
    const bob = issuer.sign({ sub: 'bob', scope: 'orders:read' });
    // The extractor's source is set by a hook that runs after the module's check, as a cookie plugin's might.
    const late = await start(issuer, {
      extractors: [(request) => (request as { headers: Record<string, string | undefined> }).headers['x-late-token']],
      preHandler: (request, _reply, done) => {
        request.headers['x-late-token'] = bob;
        done();
      },
    });
    try {
      expect(await get(`${late.url}/orders`, alice)).toMatchObject({ status: 400, body: { error: 'multiple_tokens' } });
    } finally {
      await late.app.close();
    }
  });

  it('leaves scopes and a missing token to the guard', async () => {
    const unscoped = await get(`${early.url}/orders`, issuer.sign({ sub: 'alice', scope: 'profile' }));
    expect(unscoped.status).toBe(403);
    expect(unscoped.challenge).toMatch(/error="insufficient_scope"/);
    expect(CountingGuard.calls).toBe(1);

    const missing = await get(`${early.url}/orders`);
    expect(missing).toEqual(await get(`${control.url}/orders`));
    expect(missing).toMatchObject({ status: 401, body: { error: 'token_missing' } });
    expect(CountingGuard.calls).toBe(3);
  });

  it('refuses an invalid token on an optional route early, and lets an anonymous call through', async () => {
    const invalid = await get(`${early.url}/optional`, refused()['unknown kid']);
    expect(invalid.status).toBe(401);
    expect(CountingGuard.calls).toBe(0);
    expect(await get(`${early.url}/optional`)).toMatchObject({ status: 200, body: { sub: null } });
    expect(await get(`${early.url}/optional`, issuer.sign({ sub: 'bob' }))).toMatchObject({
      status: 200,
      body: { sub: 'bob' },
    });
  });

  it('hands a refusal it cannot send to Nest, which answers it as the guard would: never a 500', async () => {
    // A hook ahead of the module's makes the first reply.send of each request throw, as a failing serializer would.
    const breaking = await start(issuer, {
      hookBefore: (_request, reply, done) => {
        const send = reply.send.bind(reply);
        let failed = false;
        reply.send = (payload: unknown) => {
          if (failed) return send(payload);
          failed = true;
          throw new Error('send failed');
        };
        done();
      },
    });
    try {
      // The first unknown kid refetches the keys, so its refusal is settled after a promise; the unknown issuer's at once.
      for (const name of ['unknown kid', 'unknown issuer']) {
        const token = refused()[name];
        const answer = await get(`${breaking.url}/orders`, token);
        expect(answer).toEqual(await get(`${control.url}/orders`, token));
        expect(answer.status).toBe(401);
      }
      expect(breaking.events).toEqual(['key_not_found', 'issuer_invalid']);
    } finally {
      await breaking.app.close();
    }
  });

  it('never checks a token on a public route', async () => {
    expect(await get(`${early.url}/open`, refused()['malformed'])).toMatchObject({ status: 200, body: { open: true } });
    expect(early.events).toEqual([]);
  });
});
