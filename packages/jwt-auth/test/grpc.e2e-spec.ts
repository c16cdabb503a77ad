import { createServer } from 'node:net';
import { join } from 'node:path';
import { Controller, type INestMicroservice, type OnModuleInit } from '@nestjs/common';
import { ClientProxyFactory, GrpcMethod, Payload, Transport, type ClientGrpc } from '@nestjs/microservices';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { firstValueFrom, interval, map, take, type Observable } from 'rxjs';
import { AccessToken, CurrentUser, OptionalAuth, Public, Roles, Scopes, TokenRelay, type AuthPrincipal } from '../src';
import { TestIssuer } from '../src/testing';
import { fingerprint } from './fixtures';
import {
  describeTransportContract,
  startService,
  type Credentials,
  type Operation,
  type Outcome,
  type TransportUnderTest,
} from './transports/contract';

// A real @grpc/grpc-js client over loopback against Nest's gRPC server; unary and server-streaming methods.
jest.setTimeout(60_000);

const PROTO = join(__dirname, 'fixtures', 'inventory.proto');
const PACKAGE = 'jwtauth.e2e';

interface Json {
  json: string;
}
const reply = (value: unknown): Json => ({ json: JSON.stringify(value) });
const parse = (request: Json): Record<string, unknown> =>
  request.json ? (JSON.parse(request.json) as Record<string, unknown>) : {};

interface DownstreamInventory {
  get(request: Json, metadata: grpc.Metadata): Observable<Json>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function grpcHandlers(downstream: () => ClientGrpc | undefined) {
  @Controller()
  @Scopes('inventory:read')
  class InventoryGrpc implements OnModuleInit {
    private inventory: DownstreamInventory | undefined;

    constructor(private readonly relay: TokenRelay) {}

    onModuleInit(): void {
      this.inventory = downstream()?.getService<DownstreamInventory>('Inventory');
    }

    @GrpcMethod('Inventory', 'Get')
    get(@Payload() request: Json, @CurrentUser('sub') sub: string, @AccessToken() token: string): Json {
      const { sku } = parse(request);
      return reply({ sku, sub, fingerprint: fingerprint(token) });
    }

    @GrpcMethod('Inventory', 'Adjust')
    @Scopes('inventory:write')
    adjust(@Payload() request: Json, @CurrentUser('sub') by: string): Json {
      const { sku, delta } = parse(request);
      return reply({ sku, delta, by });
    }

    @GrpcMethod('Inventory', 'Ping')
    @Public()
    ping(@CurrentUser() user: unknown): Json {
      return reply({ pong: true, user: user ?? null });
    }

    @GrpcMethod('Inventory', 'Admin')
    @Roles('admin')
    admin(@CurrentUser('sub') sub: string): Json {
      return reply({ admin: sub });
    }

    @GrpcMethod('Inventory', 'Relay')
    async forward(@Payload() request: Json): Promise<Json> {
      if (!this.inventory) throw new Error('no downstream');
      const metadata = new grpc.Metadata();
      // No token argument: TokenRelay reads the current call's token (TokenRelayModule).
      metadata.set('authorization', this.relay.authorization());
      const result = await firstValueFrom(this.inventory.get(request, metadata));
      return reply({ relayed: true, downstream: JSON.parse(result.json) as unknown });
    }

    @GrpcMethod('Inventory', 'Watch')
    watch(@Payload() request: Json): Observable<Json> {
      const { sku } = parse(request);
      return interval(5).pipe(
        take(3),
        map((n) => reply({ sku, n })),
      );
    }
  }
  // No class scopes here, so @OptionalAuth can serve anonymous calls.
  @Controller()
  class OptionalGrpc {
    @GrpcMethod('Inventory', 'Maybe')
    @OptionalAuth()
    maybe(@CurrentUser() user: AuthPrincipal | undefined, @AccessToken() token: string | undefined): Json {
      return reply({ anonymous: user === undefined, sub: user?.subject ?? null, hasToken: token !== undefined });
    }
  }
  return [InventoryGrpc, OptionalGrpc];
}

const GRPC_STATUS_TO_HTTP: Record<number, number> = { 16: 401, 7: 403, 3: 400 };

function outcomeOf(error: grpc.ServiceError): Outcome {
  return {
    ok: false,
    status: GRPC_STATUS_TO_HTTP[error.code] ?? 500,
    code: (error.details ?? '').split(':')[0] ?? '',
  };
}

describe('gRPC (Transport.GRPC) with a real @grpc/grpc-js client', () => {
  let issuer: TestIssuer;
  let serviceA: INestMicroservice;
  let serviceB: INestMicroservice;
  let toB: ClientGrpc;
  let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  let transport: TransportUnderTest;

  const options = (port: number) => ({
    url: `127.0.0.1:${port}`,
    package: PACKAGE,
    protoPath: PROTO,
    // Nest's default (8 KiB) would make grpc-js refuse a huge header before the guard can answer it.
    maxMetadataSize: 64 * 1024,
  });

  const metadataFor = (credentials: Credentials): grpc.Metadata => {
    const metadata = new grpc.Metadata();
    if (credentials === undefined) return metadata;
    const values = 'token' in credentials ? [`Bearer ${credentials.token}`] : credentials.authorization;
    for (const value of Array.isArray(values) ? values : [values]) metadata.add('authorization', value as string);
    return metadata;
  };

  const METHOD: Record<Operation, string> = {
    get: 'Get',
    adjust: 'Adjust',
    ping: 'Ping',
    admin: 'Admin',
    relay: 'Relay',
    maybe: 'Maybe',
  };

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['RS256'] });
    const [portA, portB] = [await freePort(), await freePort()];
    serviceB = await startService(
      issuer,
      { transport: Transport.GRPC, options: options(portB) },
      grpcHandlers(() => undefined),
    );
    toB = ClientProxyFactory.create({ transport: Transport.GRPC, options: options(portB) }) as unknown as ClientGrpc;
    serviceA = await startService(
      issuer,
      { transport: Transport.GRPC, options: options(portA) },
      grpcHandlers(() => toB),
    );
    const definition = protoLoader.loadSync(PROTO);
    const Inventory = (
      grpc.loadPackageDefinition(definition) as unknown as {
        jwtauth: { e2e: { Inventory: grpc.ServiceClientConstructor } };
      }
    ).jwtauth.e2e.Inventory;
    client = new Inventory(`127.0.0.1:${portA}`, grpc.credentials.createInsecure()) as typeof client;
    transport = {
      issuer,
      hostile: [
        // grpc-js itself refuses a repeated `authorization` entry before sending, so two credentials come in one value.
        {
          name: 'two credentials in one value',
          credentials: { authorization: 'Bearer a.b.c, Bearer d.e.f' },
          status: 400,
        },
        { name: 'a lower-case scheme with garbage', credentials: { authorization: 'bearer %%%' }, status: 401 },
      ],
      call: (operation, credentials, data = {}) =>
        new Promise<Outcome>((resolve) => {
          (client[METHOD[operation]] as (...args: unknown[]) => unknown)(
            { json: JSON.stringify(data) },
            metadataFor(credentials),
            (error: grpc.ServiceError | null, response: Json) =>
              resolve(
                error ? outcomeOf(error) : { ok: true, value: JSON.parse(response.json) as Record<string, unknown> },
              ),
          );
        }),
    };
  });

  afterAll(async () => {
    client?.close();
    await (toB as unknown as { close(): Promise<void> } | undefined)?.close();
    await Promise.all([serviceA?.close(), serviceB?.close()]);
  });

  describeTransportContract('gRPC authorization metadata', () => transport);

  const watch = (credentials: Credentials) =>
    new Promise<{ items: unknown[]; error?: grpc.ServiceError }>((resolve) => {
      const items: unknown[] = [];
      const stream = (client['Watch'] as (...args: unknown[]) => unknown)(
        { json: JSON.stringify({ sku: 'S-1' }) },
        metadataFor(credentials),
      ) as grpc.ClientReadableStream<Json>;
      stream.on('data', (item: Json) => items.push(JSON.parse(item.json)));
      stream.on('error', (error: grpc.ServiceError) => resolve({ items, error }));
      stream.on('end', () => resolve({ items }));
    });

  it('streams to a valid token and ends the stream with UNAUTHENTICATED / PERMISSION_DENIED otherwise', async () => {
    const token = issuer.sign({ sub: 's', scope: 'inventory:read' });
    await expect(watch({ token })).resolves.toEqual({
      items: [
        { sku: 'S-1', n: 0 },
        { sku: 'S-1', n: 1 },
        { sku: 'S-1', n: 2 },
      ],
    });
    const missing = await watch(undefined);
    expect(missing.items).toEqual([]);
    expect(missing.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(missing.error?.details).toMatch(/^token_missing: /);
    const expired = await watch({ token: issuer.sign({ scope: 'inventory:read' }, { expiresIn: -600 }) });
    expect(expired.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const noScope = await watch({ token: issuer.sign({ scope: 'other' }) });
    expect(noScope.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(noScope.error?.details).toMatch(/^insufficient_scope: /);
  });
});
