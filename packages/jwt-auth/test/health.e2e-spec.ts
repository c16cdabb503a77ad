import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AccessTokenVerifier, CurrentUser, JwtAuthModule, Public } from '../src';
import { KeySourcesHealthIndicator } from '../src/health';
import { TestIssuer } from '../src/testing';

jest.setTimeout(30_000);

@Controller()
class ProbeController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly keys: KeySourcesHealthIndicator,
  ) {}

  @Get('ready')
  @Public()
  @HealthCheck()
  ready() {
    return this.health.check([() => this.keys.isHealthy('jwt-keys')]);
  }

  @Get('me')
  me(@CurrentUser('sub') sub: string) {
    return { sub };
  }
}

/** A JWKS server that can be stopped and started again on the same port (a real outage, not a 503). */
class JwksServer {
  private server: Server | undefined;
  port = 0;
  constructor(private readonly issuer: TestIssuer) {}

  async start(): Promise<void> {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.issuer.jwks()));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('KeySourcesHealthIndicator warm-up deadline', () => {
  it('answers down (still pending) when the JWKS endpoint hangs past warmUpTimeoutMs, the fetch going on', async () => {
    const issuer = await TestIssuer.create({ algorithms: ['ES256'], issuer: 'https://hang.example.test' });
    const held: import('node:http').ServerResponse[] = [];
    const hanging = createServer((_req, res) => void held.push(res)); // never answers
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        JwtAuthModule.forRoot({
          issuer: issuer.issuerUrl,
          audience: 'api',
          jwksUri: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/jwks`,
          allowInsecureHttp: true,
          fetch: { timeoutMs: 20_000 },
        }),
      ],
      providers: [KeySourcesHealthIndicator],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const result = await app.get(KeySourcesHealthIndicator).isHealthy('k', { warmUpTimeoutMs: 100 });
      expect(result['k'].status).toBe('down');
      expect(
        (result['k'] as unknown as { issuers: Record<string, { status: string }> }).issuers[issuer.issuerUrl].status,
      ).toBe('pending');
      expect(held.length).toBeGreaterThanOrEqual(1); // the fetch was started and is still waiting
    } finally {
      hanging.closeAllConnections();
      hanging.close();
      await app.close();
    }
  });
});

describe('KeySourcesHealthIndicator over a JWKS server that goes down and comes back', () => {
  const MINUTE = 60_000;
  let clock = Date.now();
  let issuer: TestIssuer;
  let jwks: JwksServer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'], issuer: 'https://id.example.test', audience: 'api' });
    jwks = new JwksServer(issuer);
    await jwks.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        JwtAuthModule.forRoot({
          issuer: issuer.issuerUrl,
          audience: 'api',
          algorithms: ['ES256'],
          jwksUri: `http://127.0.0.1:${jwks.port}/jwks`,
          allowInsecureHttp: true,
          fetch: {
            cacheTtlMs: 10 * MINUTE,
            refreshAheadMs: MINUTE,
            maxStaleMs: 60 * MINUTE,
            backoffInitialMs: 1000,
            backoffMaxMs: 1000,
          },
          now: () => clock,
          globalGuard: true,
        }),
      ],
      controllers: [ProbeController],
      providers: [KeySourcesHealthIndicator],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await jwks?.stop();
  });

  const ready = () => request(app.getHttpServer()).get('/ready');
  const me = () =>
    request(app.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${issuer.sign({}, { expiresIn: 24 * 3600 })}`);
  const keysOf = (body: { details: object }) =>
    (body.details as Record<string, { issuers: Record<string, Record<string, unknown>> }>)['jwt-keys'].issuers[
      issuer.issuerUrl
    ];

  it('is up and fresh once the key set is loaded, with key ids, last fetch and next refresh', async () => {
    const response = await ready();
    expect(response.status).toBe(200);
    const keys = keysOf(response.body);
    expect(keys).toMatchObject({
      status: 'fresh',
      kind: 'jwks',
      keyIds: [issuer.kid('ES256')],
      consecutiveFailures: 0,
    });
    expect(Date.parse(keys['lastSuccessAt'] as string)).toBe(clock);
    expect(Date.parse(keys['nextRefreshAt'] as string)).toBe(clock + 9 * MINUTE);
    expect(keys['warning']).toBeUndefined();
  });

  it('stays up but reports stale, with a warning, while the server is down and the last keys still serve', async () => {
    await jwks.stop();
    clock += 10 * MINUTE; // refresh due: the next lookup starts one, which fails (connection refused)
    expect((await me()).status).toBe(200);
    const verifier = app.get(AccessTokenVerifier);
    // The refresh runs in the background: wait until it has failed.
    for (let i = 0; i < 200 && verifier.getKeySourceStates()[issuer.issuerUrl].consecutiveFailures === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const probe = await app.get(KeySourcesHealthIndicator).isHealthy('k');
    const response = await ready();
    expect(response.status).toBe(200);
    const keys = keysOf(response.body);
    expect(keys['status']).toBe('stale');
    expect(keys['warning']).toMatch(/last good key set is served/);
    expect(keys['consecutiveFailures']).toBeGreaterThanOrEqual(1);
    expect(keys['lastError']).toEqual(expect.any(String));
    expect(probe['k'].status).toBe('up');
  });

  it('goes down (503) as failing once the stale keys expire, and tokens are refused', async () => {
    clock += 61 * MINUTE;
    const response = await ready();
    expect(response.status).toBe(503);
    const keys = keysOf(response.body);
    expect(keys).toMatchObject({ status: 'failing', keyIds: [] });
    expect((await me()).status).toBe(401);
  });

  it('comes back up as fresh after the server restarts on the same port', async () => {
    await jwks.start();
    clock += 2000; // past the backoff: the probe's warm-up may fetch again
    const response = await ready();
    expect(response.status).toBe(200);
    expect(keysOf(response.body)).toMatchObject({ status: 'fresh', consecutiveFailures: 0 });
    expect((await me()).status).toBe(200);
  });
});
