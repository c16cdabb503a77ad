import { randomUUID } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { Controller, UseGuards, type INestApplication, type INestMicroservice, type Type } from '@nestjs/common';
import {
  ClientProxyFactory,
  Ctx,
  MessagePattern,
  NatsContext,
  NatsRecordBuilder,
  Payload,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { headers as natsHeaders } from 'nats';
import { firstValueFrom } from 'rxjs';
import {
  AccessToken,
  CurrentUser,
  JwtAuthGuard,
  JwtAuthModule,
  Public,
  RpcData,
  Scopes,
  createRpcAuthEnvelope,
  type AuthPrincipal,
} from '../src';
import { TestIssuer } from '../src/testing';
import { fingerprint, garbageCredentials } from './fixtures';

jest.setTimeout(30_000);

const RUN = randomUUID().slice(0, 8);

interface Patterns {
  readonly get: string;
  readonly adjust: string;
  readonly ping: string;
  readonly raw: string;
}

function patternsFor(transport: string): Patterns {
  const prefix = `jwt-auth-e2e.${transport}.${RUN}`;
  return { get: `${prefix}.get`, adjust: `${prefix}.adjust`, ping: `${prefix}.ping`, raw: `${prefix}.raw` };
}

/** Handlers for one transport: class scope `inventory:read`, method scope `inventory:write`, a public ping. */
function inventoryController(p: Patterns, useGuard: boolean): Type<unknown> {
  @Controller()
  @Scopes('inventory:read')
  class InventoryController {
    @MessagePattern(p.get)
    get(@RpcData() data: { sku: string }, @CurrentUser() user: AuthPrincipal, @CurrentUser('sub') sub: string) {
      return { sku: data.sku, sub, subject: user.subject, scopes: user.scopes };
    }

    @MessagePattern(p.adjust)
    @Scopes('inventory:write')
    adjust(@RpcData() data: { sku: string; delta: number }, @CurrentUser('sub') sub: string) {
      return { sku: data.sku, delta: data.delta, by: sub };
    }

    @MessagePattern(p.ping)
    @Public()
    ping(@CurrentUser() user: AuthPrincipal | undefined) {
      return { pong: true, user: user ?? null };
    }

    // Reads a plain payload: the token travels in transport headers (NATS).
    @MessagePattern(p.raw)
    raw(
      @Payload() data: { sku: string },
      @CurrentUser('sub') sub: string,
      @AccessToken() token: string,
      @Ctx() ctx: unknown,
    ) {
      return { sku: data.sku, sub, fingerprint: fingerprint(token), nats: ctx instanceof NatsContext };
    }
  }
  if (useGuard) UseGuards(JwtAuthGuard)(InventoryController);
  return InventoryController;
}

interface RpcFailure {
  status?: number;
  code?: string;
  message?: string;
}

async function failure(call: Promise<unknown>): Promise<RpcFailure> {
  try {
    await call;
  } catch (error) {
    return error as RpcFailure;
  }
  throw new Error('expected the call to be refused');
}

async function startMicroservice(
  issuer: TestIssuer,
  options: MicroserviceOptions,
  controller: Type<unknown>,
  globalGuard: boolean,
): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard })],
    controllers: [controller],
  }).compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>(options);
  app.useLogger(false);
  await app.listen();
  return app;
}

/** The shared contract every transport must meet with the envelope. */
function describeEnvelopeContract(
  name: string,
  setup: () => { issuer: TestIssuer; client: ClientProxy; patterns: Patterns },
): void {
  describe(`${name}: token in the message envelope`, () => {
    const send = <T>(pattern: string, payload: unknown) => firstValueFrom(setup().client.send<T>(pattern, payload));

    it('serves a valid token and exposes the principal through @CurrentUser', async () => {
      const { issuer, patterns } = setup();
      const token = issuer.sign({ sub: 'svc-orders', scope: 'inventory:read' });
      await expect(send(patterns.get, createRpcAuthEnvelope(token, { sku: 'A-1' }))).resolves.toEqual({
        sku: 'A-1',
        sub: 'svc-orders',
        subject: 'svc-orders',
        scopes: ['inventory:read'],
      });
    });

    it('answers 401 token_missing to a caller without a token', async () => {
      const { patterns } = setup();
      await expect(failure(send(patterns.get, { sku: 'A-1' }))).resolves.toEqual({
        status: 401,
        code: 'token_missing',
        message: expect.any(String),
      });
    });

    it('answers 401 invalid-token codes to a caller with a bad token', async () => {
      const { issuer, patterns } = setup();
      const expired = issuer.sign({ scope: 'inventory:read' }, { expiresIn: -300 });
      await expect(failure(send(patterns.get, createRpcAuthEnvelope(expired, { sku: 'A-1' })))).resolves.toMatchObject({
        status: 401,
        code: 'token_expired',
      });
      await expect(
        failure(send(patterns.get, createRpcAuthEnvelope('not.a.jwt', { sku: 'A-1' }))),
      ).resolves.toMatchObject({ status: 401 });
    });

    it('answers 403 insufficient_scope when the method scope is missing, and enforces the class scope too', async () => {
      const { issuer, patterns } = setup();
      const readOnly = issuer.sign({ sub: 'svc', scope: 'inventory:read' });
      await expect(
        failure(send(patterns.adjust, createRpcAuthEnvelope(readOnly, { sku: 'A', delta: 1 }))),
      ).resolves.toMatchObject({
        status: 403,
        code: 'insufficient_scope',
      });
      const writeOnly = issuer.sign({ sub: 'svc', scope: 'inventory:write' });
      await expect(
        failure(send(patterns.adjust, createRpcAuthEnvelope(writeOnly, { sku: 'A', delta: 1 }))),
      ).resolves.toMatchObject({ status: 403 });
      const both = issuer.sign({ sub: 'svc', scope: 'inventory:write inventory:read' });
      await expect(send(patterns.adjust, createRpcAuthEnvelope(both, { sku: 'A', delta: 2 }))).resolves.toEqual({
        sku: 'A',
        delta: 2,
        by: 'svc',
      });
    });

    it('answers 400 multiple_tokens for an envelope with two tokens', async () => {
      const { issuer, patterns } = setup();
      const token = issuer.sign({ scope: 'inventory:read' });
      const payload = {
        headers: { authorization: `Bearer ${token}`, Authorization: `Bearer ${token}` },
        data: { sku: 'A' },
      };
      await expect(failure(send(patterns.get, payload))).resolves.toMatchObject({
        status: 400,
        code: 'multiple_tokens',
      });
    });

    it('lets @Public handlers through', async () => {
      const { patterns } = setup();
      await expect(send(patterns.ping, {})).resolves.toEqual({ pong: true, user: null });
    });

    it('never answers "Internal server error" or success to garbage tokens', async () => {
      const { issuer, patterns } = setup();
      const valid = issuer.sign({ scope: 'inventory:read' });
      const wrong: string[] = [];
      for (const credentials of garbageCredentials(valid)) {
        const outcome = await failure(
          send(patterns.get, { headers: { authorization: credentials }, data: { sku: 'A' } }),
        ).catch(() => ({ status: 200 }) as RpcFailure);
        if (outcome.status !== 401 && outcome.status !== 400)
          wrong.push(`${String(outcome.status)} ${outcome.message} for ${credentials.slice(0, 40)}`);
      }
      expect(wrong).toEqual([]);
    });
  });
}

describe('hybrid app: HTTP and TCP with one global guard', () => {
  const patterns = patternsFor('hybrid');
  let issuer: TestIssuer;
  let app: INestApplication;
  let client: ClientProxy;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true })],
      controllers: [inventoryController(patterns, false)],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // Without inheritAppConfig Nest gives the microservice its own config, and APP_GUARD would not reach it.
    const microservice = app.connectMicroservice<MicroserviceOptions>(
      { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();
    const { port } = microservice.unwrap<Server>().address() as AddressInfo;
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('guards message handlers of the connected microservice', async () => {
    await expect(failure(firstValueFrom(client.send(patterns.get, { data: { sku: 'H' } })))).resolves.toMatchObject({
      status: 401,
      code: 'token_missing',
    });
    const token = issuer.sign({ sub: 'hybrid', scope: 'inventory:read' });
    await expect(
      firstValueFrom(client.send(patterns.get, createRpcAuthEnvelope(token, { sku: 'H' }))),
    ).resolves.toMatchObject({ sub: 'hybrid' });
  });
});

describe('hybrid app without inheritAppConfig: message handlers are guarded all the same', () => {
  const patterns = patternsFor('hybrid-own-config');
  let issuer: TestIssuer;
  let app: INestApplication;
  let client: ClientProxy;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    const moduleRef = await Test.createTestingModule({
      imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true })],
      controllers: [inventoryController(patterns, false)],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    // No inheritAppConfig: Nest would not apply APP_GUARD here; JwtAuthModule binds the guard to the handlers.
    const microservice = app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
    });
    await app.startAllMicroservices();
    await app.init();
    const { port } = microservice.unwrap<Server>().address() as AddressInfo;
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
  });

  it('refuses a message without a token and serves one with a valid token; @Public stays open', async () => {
    await expect(failure(firstValueFrom(client.send(patterns.get, { sku: 'H' })))).resolves.toMatchObject({
      status: 401,
      code: 'token_missing',
    });
    const readOnly = issuer.sign({ sub: 'hybrid', scope: 'inventory:read' });
    await expect(
      failure(firstValueFrom(client.send(patterns.adjust, createRpcAuthEnvelope(readOnly, { sku: 'H', delta: 1 })))),
    ).resolves.toMatchObject({ status: 403, code: 'insufficient_scope' });
    await expect(
      firstValueFrom(client.send(patterns.get, createRpcAuthEnvelope(readOnly, { sku: 'H' }))),
    ).resolves.toMatchObject({ sub: 'hybrid' });
    await expect(firstValueFrom(client.send(patterns.ping, {}))).resolves.toEqual({ pong: true, user: null });
  });
});

describe('microservices with real ClientProxy callers', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256', 'EdDSA'] });
  });

  describe('TCP (global guard)', () => {
    const patterns = patternsFor('tcp');
    let app: INestMicroservice;
    let client: ClientProxy;

    beforeAll(async () => {
      app = await startMicroservice(
        issuer,
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
        inventoryController(patterns, false),
        true,
      );
      const { port } = app.unwrap<Server>().address() as AddressInfo;
      client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
      await client.connect();
    });

    afterAll(async () => {
      await client?.close();
      await app?.close();
    });

    describeEnvelopeContract('TCP', () => ({ issuer, client, patterns }));
  });

  describe('Redis (controller-level @UseGuards)', () => {
    const patterns = patternsFor('redis');
    let app: INestMicroservice;
    let client: ClientProxy;

    beforeAll(async () => {
      const options = { host: '127.0.0.1', port: 6379 };
      app = await startMicroservice(
        issuer,
        { transport: Transport.REDIS, options },
        inventoryController(patterns, true),
        false,
      );
      client = ClientProxyFactory.create({ transport: Transport.REDIS, options });
      await client.connect();
    });

    afterAll(async () => {
      await client?.close();
      await app?.close();
    });

    describeEnvelopeContract('Redis', () => ({ issuer, client, patterns }));
  });

  describe('NATS (global guard)', () => {
    const patterns = patternsFor('nats');
    let app: INestMicroservice;
    let client: ClientProxy;

    beforeAll(async () => {
      const servers = ['nats://127.0.0.1:4222'];
      app = await startMicroservice(
        issuer,
        { transport: Transport.NATS, options: { servers, queue: `jwt-auth-e2e-${RUN}` } },
        inventoryController(patterns, false),
        true,
      );
      client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers } });
      await client.connect();
    });

    afterAll(async () => {
      await client?.close();
      await app?.close();
    });

    describeEnvelopeContract('NATS', () => ({ issuer, client, patterns }));

    const withHeaders = (data: unknown, values: Record<string, string[]>) => {
      const h = natsHeaders();
      for (const [key, list] of Object.entries(values)) for (const value of list) h.append(key, value);
      return new NatsRecordBuilder(data).setHeaders(h).build();
    };

    it('reads the token from NATS message headers and exposes it to @AccessToken', async () => {
      const token = issuer.sign({ sub: 'nats-caller', scope: 'inventory:read' }, { alg: 'EdDSA' });
      await expect(
        firstValueFrom(client.send(patterns.raw, withHeaders({ sku: 'N-1' }, { authorization: [`Bearer ${token}`] }))),
      ).resolves.toEqual({
        sku: 'N-1',
        sub: 'nats-caller',
        fingerprint: fingerprint(token),
        nats: true,
      });
    });

    it('answers 403 / 401 through NATS headers', async () => {
      const noScope = issuer.sign({ sub: 'nats-caller', scope: 'other' });
      await expect(
        failure(
          firstValueFrom(
            client.send(patterns.raw, withHeaders({ sku: 'N' }, { Authorization: [`Bearer ${noScope}`] })),
          ),
        ),
      ).resolves.toMatchObject({
        status: 403,
        code: 'insufficient_scope',
      });
      await expect(
        failure(
          firstValueFrom(client.send(patterns.raw, withHeaders({ sku: 'N' }, { authorization: ['Bearer x.y.z'] }))),
        ),
      ).resolves.toMatchObject({
        status: 401,
      });
    });

    it('answers 400 when a token comes in the headers and in the envelope', async () => {
      const token = issuer.sign({ scope: 'inventory:read' });
      const record = withHeaders(createRpcAuthEnvelope(token, { sku: 'N' }), { authorization: [`Bearer ${token}`] });
      await expect(failure(firstValueFrom(client.send(patterns.get, record)))).resolves.toMatchObject({
        status: 400,
        code: 'multiple_tokens',
      });
    });

    it('answers 400 for a repeated NATS authorization header', async () => {
      const token = issuer.sign({ scope: 'inventory:read' });
      const record = withHeaders({ sku: 'N' }, { authorization: [`Bearer ${token}`, `Bearer ${token}`] });
      await expect(failure(firstValueFrom(client.send(patterns.raw, record)))).resolves.toMatchObject({
        status: 400,
        code: 'multiple_tokens',
      });
    });
  });
});
