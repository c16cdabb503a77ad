import type { AddressInfo } from 'node:net';
import { UseInterceptors, type INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import {
  AccessToken,
  CurrentUser,
  JwtAuthModule,
  OptionalAuth,
  Public,
  Roles,
  Scopes,
  TokenRelay,
  TokenRelayInterceptor,
  TokenRelayModule,
  WS_CLOSE_UNAUTHENTICATED,
  WsAuthenticator,
  type AuthPrincipal,
} from '../src';
import { TestIssuer } from '../src/testing';
import { fingerprint } from './fixtures';
import {
  describeTransportContract,
  type Credentials,
  type Outcome,
  type TransportUnderTest,
} from './transports/contract';

// Real socket.io and ws servers (Nest gateways on 127.0.0.1) and real socket.io-client / ws clients.
jest.setTimeout(60_000);

type Platform = 'socket.io' | 'ws';

interface Session {
  outcome: Outcome;
  closed: Promise<{ code?: number; reason?: string }>;
  send(event: string, data: unknown): Promise<Outcome>;
  close(): void;
}

const asOutcome = (payload: unknown): Outcome => {
  const p = payload as { status?: number; code?: string };
  return { ok: false, status: p?.status ?? 500, code: p?.code ?? 'unknown' };
};

/** Open a connection with `credentials`; `outcome` says whether the server accepted it. */
function connect(
  platform: Platform,
  url: string,
  credentials: Credentials,
  how: 'header' | 'protocol' = 'header',
): Promise<Session> {
  if (platform === 'socket.io') {
    const auth =
      credentials === undefined
        ? {}
        : 'token' in credentials
          ? { token: credentials.token }
          : { token: credentials.authorization };
    const socket = io(url, {
      auth: auth as Record<string, unknown>,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const closed = new Promise<{ reason?: string }>((resolve) =>
      socket.on('disconnect', (reason) => resolve({ reason })),
    );
    const send = (event: string, data: unknown) =>
      new Promise<Outcome>((resolve) => {
        socket.once('reply', (value: Record<string, unknown>) => resolve({ ok: true, value }));
        socket.once('exception', (payload: unknown) => resolve(asOutcome(payload)));
        socket.emit(event, data);
      });
    return new Promise((resolve) => {
      socket.on('connect', () =>
        resolve({ outcome: { ok: true, value: {} }, closed, send, close: () => socket.disconnect() }),
      );
      socket.on('connect_error', (error: Error & { data?: unknown }) => {
        socket.close();
        resolve({ outcome: asOutcome(error.data), closed, send, close: () => undefined });
      });
    });
  }
  const headers: Record<string, string | string[]> = {};
  let protocols: string[] | undefined;
  if (credentials !== undefined) {
    if ('token' in credentials && how === 'protocol') protocols = ['bearer', credentials.token];
    else
      headers['authorization'] =
        'token' in credentials ? `Bearer ${credentials.token}` : (credentials.authorization as string | string[]);
  }
  const socket = new WebSocket(url, protocols, { headers });
  const closed = new Promise<{ code?: number; reason?: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const send = (event: string, data: unknown) =>
    new Promise<Outcome>((resolve) => {
      socket.once('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as { event: string; data: Record<string, unknown> };
        resolve(frame.event === 'reply' ? { ok: true, value: frame.data } : asOutcome(frame.data));
      });
      socket.send(JSON.stringify({ event, data }));
    });
  return new Promise((resolve) => {
    socket.on('open', () =>
      resolve({
        outcome: { ok: true, value: { protocol: socket.protocol } },
        closed,
        send,
        close: () => socket.close(),
      }),
    );
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const outcome = asOutcome(JSON.parse(body));
        resolve({
          outcome: { ...outcome, status: response.statusCode ?? 0 } as Outcome,
          closed,
          send,
          close: () => undefined,
        });
      });
    });
    socket.on('error', () => undefined);
  });
}

/** One call: connect, send one message, close. A refused connection is the call's outcome. */
async function call(
  platform: Platform,
  url: string,
  credentials: Credentials,
  event: string,
  data: unknown,
): Promise<Outcome> {
  const session = await connect(platform, url, credentials);
  if (!session.outcome.ok) return session.outcome;
  try {
    return await session.send(event, data);
  } finally {
    session.close();
  }
}

function inventoryGateway(platform: Platform, allowAnonymous: boolean, downstream: () => string | undefined) {
  @WebSocketGateway(platform === 'ws' ? { path: '/ws' } : {})
  @Scopes('inventory:read')
  // Nest applies no APP_INTERCEPTOR to gateways (JwtAuthModule binds its guard itself, see the README).
  @UseInterceptors(TokenRelayInterceptor)
  class InventoryGateway implements OnGatewayInit {
    constructor(
      private readonly wsAuth: WsAuthenticator,
      private readonly relay: TokenRelay,
    ) {}

    afterInit(server: unknown): void {
      this.wsAuth.bindToServer(server, { allowAnonymous });
    }

    @SubscribeMessage('get')
    get(@MessageBody() data: { sku: string }, @CurrentUser('sub') sub: string, @AccessToken() token: string) {
      return { event: 'reply', data: { sku: data.sku, sub, fingerprint: fingerprint(token) } };
    }

    @SubscribeMessage('adjust')
    @Scopes('inventory:write')
    adjust(@MessageBody() data: { sku: string; delta: number }, @CurrentUser('sub') by: string) {
      return { event: 'reply', data: { sku: data.sku, delta: data.delta, by } };
    }

    @SubscribeMessage('ping')
    @Public()
    ping(@CurrentUser() user: unknown) {
      return { event: 'reply', data: { pong: true, user: user ?? null } };
    }

    @SubscribeMessage('admin')
    @Roles('admin')
    admin(@CurrentUser('sub') sub: string) {
      return { event: 'reply', data: { admin: sub } };
    }

    @SubscribeMessage('relay')
    async forward(@MessageBody() data: { sku: string }) {
      // No token argument: TokenRelay reads the current message's token (TokenRelayModule).
      const result = await call(platform, downstream() ?? '', { token: this.relay.token() }, 'get', { sku: data.sku });
      return { event: 'reply', data: { relayed: true, downstream: result.ok ? result.value : result } };
    }
  }
  // No class scopes here, so @OptionalAuth can serve anonymous sockets; its own namespace (socket.io) or path (ws).
  @WebSocketGateway(platform === 'ws' ? { path: '/ws-optional' } : { namespace: 'optional' })
  class OptionalGateway implements OnGatewayInit {
    constructor(private readonly wsAuth: WsAuthenticator) {}

    afterInit(server: unknown): void {
      this.wsAuth.bindToServer(server, { allowAnonymous: true });
    }

    @SubscribeMessage('maybe')
    @OptionalAuth()
    maybe(@CurrentUser() user: AuthPrincipal | undefined, @AccessToken() token: string | undefined) {
      return {
        event: 'reply',
        data: { anonymous: user === undefined, sub: user?.subject ?? null, hasToken: token !== undefined },
      };
    }
  }
  return [InventoryGateway, OptionalGateway];
}

async function startGateway(
  platform: Platform,
  issuer: TestIssuer,
  gateways: ReturnType<typeof inventoryGateway>,
  now?: () => number,
): Promise<{ app: INestApplication; url: string; optionalUrl: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true, now }), TokenRelayModule],
    providers: gateways,
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  if (platform === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return platform === 'ws'
    ? { app, url: `ws://127.0.0.1:${port}/ws`, optionalUrl: `ws://127.0.0.1:${port}/ws-optional` }
    : { app, url: `http://127.0.0.1:${port}`, optionalUrl: `http://127.0.0.1:${port}/optional` };
}

describe.each<[Platform]>([['socket.io'], ['ws']])('WebSocket gateways on %s', (platform) => {
  let issuer: TestIssuer;
  let a: { app: INestApplication; url: string; optionalUrl: string };
  let b: { app: INestApplication; url: string; optionalUrl: string };
  let transport: TransportUnderTest;
  let clock = Date.now();

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    // Service B refuses anonymous connections; service A admits them (for @Public) and runs on a settable clock.
    b = await startGateway(
      platform,
      issuer,
      inventoryGateway(platform, false, () => undefined),
    );
    a = await startGateway(
      platform,
      issuer,
      inventoryGateway(platform, true, () => b.url),
      () => clock,
    );
    const hostile: TransportUnderTest['hostile'] =
      platform === 'socket.io'
        ? [
            { name: 'a number token', credentials: { authorization: 42 }, status: 401 },
            { name: 'an object token', credentials: { authorization: { toString: 'x' } }, status: 401 },
          ]
        : [
            {
              name: 'two Authorization headers',
              credentials: { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] },
              status: 400,
            },
            {
              name: 'two credentials in one header',
              credentials: { authorization: 'Bearer a.b.c, Bearer d' },
              status: 400,
            },
          ];
    transport = {
      issuer,
      hostile,
      call: (operation, credentials, data = {}) =>
        call(platform, operation === 'maybe' ? a.optionalUrl : a.url, credentials, operation, data),
    };
  });

  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
  });

  describeTransportContract(`${platform} connection token`, () => transport);

  it('refuses a connection without a token where anonymous connections are not allowed', async () => {
    const session = await connect(platform, b.url, undefined);
    expect(session.outcome).toEqual({ ok: false, status: 401, code: 'token_missing' });
  });

  it('re-checks the token on every message: once expired, the socket gets an exception event and is closed', async () => {
    clock = Date.now();
    const token = issuer.sign({ sub: 'live', scope: 'inventory:read' }, { expiresIn: 300 });
    const session = await connect(platform, a.url, { token });
    expect(session.outcome.ok).toBe(true);
    await expect(session.send('get', { sku: 'L-1' })).resolves.toMatchObject({ ok: true, value: { sub: 'live' } });
    clock += 600_000;
    await expect(session.send('get', { sku: 'L-2' })).resolves.toEqual({
      ok: false,
      status: 401,
      code: 'token_expired',
    });
    const closed = await session.closed;
    if (platform === 'ws') expect(closed.code).toBe(WS_CLOSE_UNAUTHENTICATED);
    else expect(closed.reason).toBe('io server disconnect');
    clock = Date.now();
  });

  it('keeps the socket open after a 403', async () => {
    const session = await connect(platform, a.url, { token: issuer.sign({ sub: 'r', scope: 'inventory:read' }) });
    await expect(session.send('adjust', { sku: 'X', delta: 1 })).resolves.toEqual({
      ok: false,
      status: 403,
      code: 'insufficient_scope',
    });
    await expect(session.send('get', { sku: 'X' })).resolves.toMatchObject({ ok: true });
    session.close();
  });

  if (platform === 'ws') {
    it('accepts the token in the bearer subprotocol (browsers) and never echoes it', async () => {
      const token = issuer.sign({ sub: 'browser', scope: 'inventory:read' });
      const session = await connect(platform, a.url, { token }, 'protocol');
      expect(session.outcome).toEqual({ ok: true, value: { protocol: 'bearer' } });
      await expect(session.send('get', { sku: 'B' })).resolves.toMatchObject({ ok: true, value: { sub: 'browser' } });
      session.close();
    });
  }
});
