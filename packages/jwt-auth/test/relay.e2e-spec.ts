import type { AddressInfo, Server } from 'node:net';
import {
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Post,
  Req,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import {
  ClientsModule,
  MessagePattern,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import {
  AccessToken,
  CurrentUser,
  JwtAuthModule,
  Public,
  RelayAccessToken,
  RpcData,
  Scopes,
  TokenRelay,
  TokenRelayError,
  TokenRelayModule,
} from '../src';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TestIssuer } from '../src/testing';
import { fingerprint } from './fixtures';

jest.setTimeout(30_000);

const INVENTORY = Symbol('INVENTORY');
const hits = { http: 0, rpc: 0 };
let downstreamUrl = '';

/** The downstream HTTP service: validates the relayed token itself. */
@Controller('whoami')
class WhoAmIController {
  @Get()
  whoami(@CurrentUser('sub') sub: string, @AccessToken() token: string) {
    hits.http++;
    return { sub, fingerprint: fingerprint(token) };
  }
}

/** The downstream TCP service; `stock.chain` relays once more, from an RPC handler to the HTTP service. */
@Controller()
class StockController {
  constructor(private readonly relay: TokenRelay) {}

  @MessagePattern('stock.get')
  @Scopes('inventory:read')
  get(@RpcData() data: { sku: string }, @CurrentUser('sub') sub: string, @AccessToken() token: string) {
    hits.rpc++;
    return { sku: data.sku, sub, fingerprint: fingerprint(token) };
  }

  @MessagePattern('stock.chain')
  async chain() {
    const response = await fetch(`${downstreamUrl}/whoami`, {
      headers: this.relay.headers(),
    });
    return { status: response.status, body: await response.json() };
  }
}

/** A route guard after JwtAuthGuard (an authorization check that calls a policy service, say) relaying the token. */
@Injectable()
class RelayingGuard implements CanActivate {
  constructor(private readonly relay: TokenRelay) {}

  canActivate(context: ExecutionContext): boolean {
    const current = this.relay.currentToken();
    context.switchToHttp().getRequest<{ relaySeen?: string | null }>().relaySeen =
      current === undefined ? null : fingerprint(current);
    return true;
  }
}

/** The front service: relays the caller's token without threading it through, and explicitly. */
@Controller('relay')
class FrontController {
  constructor(
    private readonly relay: TokenRelay,
    @Inject(INVENTORY) private readonly inventory: ClientProxy,
  ) {}

  @Get('http')
  async http() {
    // Awaits before the relay: the current token must survive them.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    const response = await fetch(`${downstreamUrl}/whoami`, {
      headers: this.relay.headers(),
    });
    return { status: response.status, body: await response.json() };
  }

  @Post('http')
  async httpWithBody(@Body() body: { note: string }) {
    // The body was read (asynchronously, after the guard on Express) before this runs: the token must survive it.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    const response = await fetch(`${downstreamUrl}/whoami`, { headers: this.relay.headers() });
    return { note: body.note, body: await response.json() };
  }

  @Get('policy')
  @UseGuards(RelayingGuard)
  policy(@Req() request: { relaySeen?: string | null }) {
    return { seenByGuard: request.relaySeen };
  }

  @Get('rpc')
  rpc() {
    return this.relay.send(this.inventory, 'stock.get', { sku: 'A-1' });
  }

  @Post('explicit')
  async explicit(@AccessToken() token: string, @Body() body: { sku: string }) {
    return firstValueFrom(this.relay.send(this.inventory, 'stock.get', body, token));
  }

  @Get('chain')
  chain() {
    return this.relay.send(this.inventory, 'stock.chain', {});
  }

  @Get('rpc-error')
  async rpcError() {
    try {
      return await firstValueFrom(this.relay.send(this.inventory, 'stock.get', { sku: 'A' }));
    } catch (error) {
      return { refused: error };
    }
  }

  @Get('public')
  @Public()
  anonymous() {
    try {
      return this.relay.headers();
    } catch (error) {
      return {
        code: (error as TokenRelayError).code,
        isRelayError: error instanceof TokenRelayError,
        current: this.relay.currentToken() ?? null,
      };
    }
  }
}

describe.each(['express', 'fastify'] as const)(
  'token relay between real services (front on %s, HTTP and TCP on 127.0.0.1)',
  (platform) => {
    let issuer: TestIssuer;
    let downstream: INestApplication;
    let stock: INestMicroservice;
    let front: INestApplication;
    let frontUrl: string;

    beforeAll(async () => {
      issuer = await TestIssuer.create({ algorithms: ['ES256'] });
      const auth = JwtAuthModule.forRoot({
        ...issuer.issuerOptions('static'),
        globalGuard: true,
      });

      const downstreamRef = await Test.createTestingModule({
        imports: [auth],
        controllers: [WhoAmIController],
      }).compile();
      downstream = downstreamRef.createNestApplication({ logger: false });
      await downstream.listen(0, '127.0.0.1');
      downstreamUrl = `http://127.0.0.1:${(downstream.getHttpServer().address() as AddressInfo).port}`;

      const stockRef = await Test.createTestingModule({
        imports: [
          JwtAuthModule.forRoot({
            ...issuer.issuerOptions('static'),
            globalGuard: true,
          }),
          TokenRelayModule,
        ],
        controllers: [StockController],
      }).compile();
      stock = stockRef.createNestMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: 0 },
      });
      stock.useLogger(false);
      await stock.listen();
      const { port } = stock.unwrap<Server>().address() as AddressInfo;

      @Module({
        imports: [
          JwtAuthModule.forRoot({
            ...issuer.issuerOptions('static'),
            globalGuard: true,
          }),
          TokenRelayModule,
          ClientsModule.register([
            {
              name: INVENTORY,
              transport: Transport.TCP,
              options: { host: '127.0.0.1', port },
            },
          ]),
        ],
        controllers: [FrontController],
        providers: [RelayingGuard],
      })
      class FrontModule {}
      const frontRef = await Test.createTestingModule({
        imports: [FrontModule],
      }).compile();
      front =
        platform === 'fastify'
          ? frontRef.createNestApplication(new FastifyAdapter(), { logger: false })
          : frontRef.createNestApplication({ logger: false });
      await front.listen(0, '127.0.0.1');
      frontUrl = `http://127.0.0.1:${(front.getHttpServer().address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await front?.close();
      await stock?.close();
      await downstream?.close();
    });

    const get = async (path: string, token?: string) => {
      const response = await fetch(`${frontUrl}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      };
    };

    const post = async (path: string, token: string, body: unknown) => {
      const response = await fetch(`${frontUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    it('forwards the caller token on outgoing HTTP calls, where the downstream service verifies it', async () => {
      const token = issuer.sign({ sub: 'alice', scope: 'inventory:read' });
      await expect(get('/relay/http', token)).resolves.toEqual({
        status: 200,
        body: {
          status: 200,
          body: { sub: 'alice', fingerprint: fingerprint(token) },
        },
      });
    });

    it('keeps the caller token current across the reading of a request body', async () => {
      const token = issuer.sign({ sub: 'heidi', scope: 'inventory:read' });
      await expect(post('/relay/http', token, { note: 'with a body' })).resolves.toEqual({
        status: 201,
        body: { note: 'with a body', body: { sub: 'heidi', fingerprint: fingerprint(token) } },
      });
    });

    it('makes the token current for route guards that run after JwtAuthGuard, not only for the handler', async () => {
      // The HTTP relay context comes from a hook around the whole route, where an interceptor would start after the
      // guards.
      const token = issuer.sign({ sub: 'ivan', scope: 'inventory:read' });
      await expect(get('/relay/policy', token)).resolves.toEqual({
        status: 200,
        body: { seenByGuard: fingerprint(token) },
      });
    });

    it('forwards the caller token in the envelope of ClientProxy messages over TCP', async () => {
      const token = issuer.sign({ sub: 'bob', scope: 'inventory:read' });
      await expect(get('/relay/rpc', token)).resolves.toEqual({
        status: 200,
        body: { sku: 'A-1', sub: 'bob', fingerprint: fingerprint(token) },
      });
    });

    it('relays an explicitly passed @AccessToken() value', async () => {
      const token = issuer.sign({ sub: 'carol', scope: 'inventory:read' });
      await expect(post('/relay/explicit', token, { sku: 'B-2' })).resolves.toEqual({
        status: 201,
        body: { sku: 'B-2', sub: 'carol', fingerprint: fingerprint(token) },
      });
    });

    it('relays again from an RPC handler (TCP -> HTTP)', async () => {
      const token = issuer.sign({ sub: 'dave', scope: 'inventory:read' });
      await expect(get('/relay/chain', token)).resolves.toEqual({
        status: 200,
        body: {
          status: 200,
          body: { sub: 'dave', fingerprint: fingerprint(token) },
        },
      });
    });

    it('never mixes up the tokens of concurrent requests', async () => {
      const callers = Array.from({ length: 30 }, (_, i) => ({
        sub: `user-${i}`,
        token: issuer.sign({ sub: `user-${i}`, scope: 'inventory:read' }),
      }));
      const results = await Promise.all(
        callers.map(({ token }, i) => get(i % 2 === 0 ? '/relay/http' : '/relay/rpc', token)),
      );
      results.forEach((result, i) => {
        const seen = i % 2 === 0 ? (result.body['body'] as Record<string, unknown>) : result.body;
        expect(seen).toMatchObject({
          sub: callers[i].sub,
          fingerprint: fingerprint(callers[i].token),
        });
      });
    });

    it('lets the downstream service refuse a relayed token on its own terms (403 over TCP)', async () => {
      const token = issuer.sign({ sub: 'erin', scope: 'orders:read' });
      await expect(get('/relay/rpc-error', token)).resolves.toEqual({
        status: 200,
        body: {
          refused: {
            status: 403,
            code: 'insufficient_scope',
            message: expect.any(String),
          },
        },
      });
    });

    it('relays nothing for a refused caller: the front answers 401 and no downstream call happens', async () => {
      const before = { ...hits };
      await expect(get('/relay/http')).resolves.toMatchObject({ status: 401 });
      await expect(get('/relay/rpc', 'not.a.token')).resolves.toMatchObject({
        status: 401,
      });
      expect(hits).toEqual(before);
    });

    it('has no token to relay in a @Public() handler, even when the request carries one', async () => {
      const token = issuer.sign({ sub: 'frank' });
      const expected = {
        code: 'relay_token_missing',
        isRelayError: true,
        current: null,
      };
      await expect(get('/relay/public')).resolves.toEqual({
        status: 200,
        body: expected,
      });
      await expect(get('/relay/public', token)).resolves.toEqual({
        status: 200,
        body: expected,
      });
    });
  },
);

/** Only the marked handler runs TokenRelayInterceptor when the module is imported with `interceptor: 'per-route'`. */
@Controller('scoped')
class ScopedRelayController {
  constructor(private readonly relay: TokenRelay) {}

  @Get('marked')
  @RelayAccessToken()
  marked() {
    return {
      current: this.relay.currentToken() === undefined ? null : fingerprint(this.relay.currentToken() as string),
    };
  }

  @Get('unmarked')
  unmarked(@AccessToken() token: string) {
    return { current: this.relay.currentToken() ?? null, explicit: fingerprint(this.relay.token(token)) };
  }
}

describe.each([
  ['per-route', false],
  ['global', true],
] as const)('TokenRelayModule.forRoot({ interceptor: %s }) on Fastify', (interceptor, unmarkedToo) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  let url = '';

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    const ref = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard: true }),
        TokenRelayModule.forRoot({ interceptor }),
      ],
      controllers: [ScopedRelayController],
    }).compile();
    app = ref.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(() => app?.close());

  const get = async (path: string, token: string) =>
    (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();

  it(`makes the caller token current in ${unmarkedToo ? 'every handler' : 'marked handlers only'}; explicit relaying works everywhere`, async () => {
    const token = issuer.sign({ sub: 'grace' });
    await expect(get('/scoped/marked', token)).resolves.toEqual({ current: fingerprint(token) });
    await expect(get('/scoped/unmarked', token)).resolves.toEqual({
      current: unmarkedToo ? token : null,
      explicit: fingerprint(token),
    });
  });
});

it('TokenRelayModule.forRoot refuses an unknown interceptor mode', () => {
  expect(() => TokenRelayModule.forRoot({ interceptor: 'sometimes' as never })).toThrow(
    /'auto', 'global' or 'per-route'/,
  );
});
