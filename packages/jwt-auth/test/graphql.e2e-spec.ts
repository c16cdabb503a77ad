import { EventEmitter, on } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
  Subscription,
} from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  AccessToken,
  CurrentUser,
  GraphqlAuth,
  JwtAuthModule,
  OptionalAuth,
  Public,
  Roles,
  Scopes,
  TokenRelay,
  TokenRelayModule,
  WS_CLOSE_UNAUTHENTICATED,
  type AuthPrincipal,
} from '../src';
import { TestIssuer } from '../src/testing';
import { fingerprint } from './fixtures';
import {
  describeTransportContract,
  type Credentials,
  type Operation,
  type Outcome,
  type TransportUnderTest,
} from './transports/contract';

// Apollo Server (the @nestjs/apollo driver) over real HTTP, and graphql-ws subscriptions over a real ws client.
jest.setTimeout(60_000);

@ObjectType()
class Item {
  @Field()
  sku!: string;
}

const QUERIES: Record<Operation, string> = {
  get: 'query($sku: String!) { get(sku: $sku) }',
  adjust: 'mutation($sku: String!, $delta: Int!) { adjust(sku: $sku, delta: $delta) }',
  ping: '{ ping }',
  admin: '{ admin }',
  relay: 'query($sku: String!) { relay(sku: $sku) }',
  maybe: '{ maybe }',
};

interface GraphqlResponse {
  status: number;
  challenge: string | null;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function post(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  authorization?: unknown,
): Promise<GraphqlResponse> {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (Array.isArray(authorization)) for (const value of authorization) headers.append('authorization', String(value));
  else if (authorization !== undefined) headers.set('authorization', String(authorization));
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: (await response.json()) as GraphqlResponse['body'],
  };
}

function outcomeOf(operation: Operation, response: GraphqlResponse): Outcome {
  const error = response.body.errors?.[0];
  if (error) {
    const ext = error.extensions ?? {};
    return {
      ok: false,
      status: typeof ext['status'] === 'number' ? ext['status'] : 500,
      code: String(ext['authCode'] ?? error.message),
    };
  }
  return { ok: true, value: JSON.parse(String(response.body.data?.[operation])) as Record<string, unknown> };
}

const ticks = new EventEmitter();

function inventoryResolver(downstream: () => string | undefined) {
  @Resolver(() => Item)
  @Scopes('inventory:read')
  class InventoryResolver {
    constructor(private readonly tokens: TokenRelay) {}

    @Query(() => String, { nullable: true })
    get(@Args('sku') sku: string, @CurrentUser('sub') sub: string, @AccessToken() token: string) {
      return JSON.stringify({ sku, sub, fingerprint: fingerprint(token) });
    }

    @Mutation(() => String, { nullable: true })
    @Scopes('inventory:write')
    adjust(
      @Args('sku') sku: string,
      @Args('delta', { type: () => Int }) delta: number,
      @CurrentUser('sub') by: string,
    ) {
      return JSON.stringify({ sku, delta, by });
    }

    @Query(() => String, { nullable: true })
    @Public()
    ping(@CurrentUser() user: unknown) {
      return JSON.stringify({ pong: true, user: user ?? null });
    }

    @Query(() => String, { nullable: true })
    @Roles('admin')
    admin(@CurrentUser('sub') sub: string) {
      return JSON.stringify({ admin: sub });
    }

    @Query(() => String, { nullable: true })
    async relay(@Args('sku') sku: string) {
      // No token argument: TokenRelay reads the current operation's token (TokenRelayModule).
      const response = await post(downstream() ?? '', QUERIES.get, { sku }, this.tokens.authorization());
      return JSON.stringify({
        relayed: true,
        downstream: outcomeOf('get', response).ok ? JSON.parse(String(response.body.data?.['get'])) : response.body,
      });
    }

    @Query(() => Item, { nullable: true })
    item(@Args('sku') sku: string): Item {
      return { sku };
    }

    @ResolveField(() => Int, { nullable: true })
    @Scopes('inventory:cost')
    cost(@Parent() item: Item) {
      return item.sku.length;
    }

    @Subscription(() => String, { resolve: (payload: unknown[]) => String(payload[0]) })
    stock() {
      return on(ticks, 'tick');
    }
  }
  // No class scopes here, so @OptionalAuth can serve anonymous calls.
  @Resolver()
  class OptionalResolver {
    @Query(() => String, { nullable: true })
    @OptionalAuth()
    maybe(@CurrentUser() user: AuthPrincipal | undefined, @AccessToken() token: string | undefined) {
      return JSON.stringify({
        anonymous: user === undefined,
        sub: user?.subject ?? null,
        hasToken: token !== undefined,
      });
    }
  }
  return [InventoryResolver, OptionalResolver];
}

async function startGraphql(issuer: TestIssuer, downstream: () => string | undefined, now?: () => number) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwtAuthModule.forRoot({
        ...issuer.issuerOptions('static'),
        globalGuard: true,
        isGlobal: true,
        realm: 'inventory',
        now,
      }),
      TokenRelayModule,
      GraphQLModule.forRootAsync<ApolloDriverConfig>({
        driver: ApolloDriver,
        inject: [GraphqlAuth],
        useFactory: (auth: GraphqlAuth) => ({
          autoSchemaFile: true,
          fieldResolverEnhancers: ['guards'],
          plugins: [auth.apolloPlugin()],
          context: (ctx: { req?: unknown; connectionParams?: unknown }) => ({
            req: ctx.req,
            connectionParams: ctx.connectionParams,
          }),
          subscriptions: { 'graphql-ws': auth.graphqlWsOptions() },
        }),
      }),
    ],
    providers: inventoryResolver(downstream),
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql` };
}

describe('GraphQL (Apollo driver) over HTTP and graphql-ws', () => {
  let issuer: TestIssuer;
  let a: Awaited<ReturnType<typeof startGraphql>>;
  let b: Awaited<ReturnType<typeof startGraphql>>;
  let transport: TransportUnderTest;
  let clock = Date.now();

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['PS256'] });
    b = await startGraphql(issuer, () => undefined);
    a = await startGraphql(
      issuer,
      () => b.url,
      () => clock,
    );
    const authorizationOf = (credentials: Credentials) =>
      credentials === undefined
        ? undefined
        : 'token' in credentials
          ? `Bearer ${credentials.token}`
          : credentials.authorization;
    transport = {
      issuer,
      hostile: [
        {
          name: 'two Authorization headers',
          credentials: { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] },
          status: 400,
        },
        {
          name: 'two credentials in one header',
          credentials: { authorization: 'Bearer a.b.c, Bearer x' },
          status: 400,
        },
      ],
      call: async (operation, credentials, data = {}) => {
        const variables =
          operation === 'ping' || operation === 'admin' || operation === 'maybe'
            ? {}
            : operation === 'adjust'
              ? { sku: data['sku'], delta: data['delta'] ?? 0 }
              : { sku: data['sku'] };
        return outcomeOf(operation, await post(a.url, QUERIES[operation], variables, authorizationOf(credentials)));
      },
    };
  });

  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
  });

  describeTransportContract('GraphQL over HTTP', () => transport);

  it('answers UNAUTHENTICATED / FORBIDDEN in extensions.code, and HTTP 401 with WWW-Authenticate when nothing could run', async () => {
    const missing = await post(a.url, QUERIES.get, { sku: 'G' });
    expect(missing.status).toBe(401);
    expect(missing.challenge).toBe('Bearer realm="inventory"');
    expect(missing.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      authCode: 'token_missing',
    });
    const expired = await post(
      a.url,
      QUERIES.get,
      { sku: 'G' },
      `Bearer ${issuer.sign({ scope: 'inventory:read' }, { expiresIn: -600 })}`,
    );
    expect(expired.status).toBe(401);
    expect(expired.challenge).toMatch(/^Bearer realm="inventory", error="invalid_token"/);
    const forbidden = await post(a.url, QUERIES.admin, {}, `Bearer ${issuer.sign({ scope: 'inventory:read' })}`);
    expect(forbidden.status).toBe(200);
    expect(forbidden.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    // A public field next to a refused one: the operation partly ran, so HTTP stays 200.
    const mixed = await post(a.url, '{ ping admin }', {});
    expect(mixed.status).toBe(200);
    expect(mixed.body.data).toEqual({ ping: JSON.stringify({ pong: true, user: null }), admin: null });
  });

  it('guards field resolvers with their own scopes', async () => {
    const query = '{ item(sku: "ABC") { sku cost } }';
    const reader = await post(a.url, query, {}, `Bearer ${issuer.sign({ scope: 'inventory:read' })}`);
    expect(reader.body.data).toEqual({ item: { sku: 'ABC', cost: null } });
    expect(reader.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', authCode: 'insufficient_scope' });
    const costs = await post(a.url, query, {}, `Bearer ${issuer.sign({ scope: 'inventory:read inventory:cost' })}`);
    expect(costs.body).toEqual({ data: { item: { sku: 'ABC', cost: 3 } } });
  });

  describe('subscriptions over graphql-ws', () => {
    const subscribe = (authorization: string | undefined) => {
      const events: unknown[] = [];
      let closedWith: { code: number; reason: string } | undefined;
      const client = createClient({
        url: a.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: authorization === undefined ? {} : { authorization },
        retryAttempts: 0,
        lazy: true,
      });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        client.on('closed', (event) => {
          closedWith = event as { code: number; reason: string };
          resolve(closedWith);
        }),
      );
      const done = new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription { stock }' },
          {
            next: (value) => void events.push(value),
            error: (error: unknown) => resolve(error),
            complete: () => resolve('complete'),
          },
        );
      });
      return { client, events, closed, done };
    };
    const listening = async () => {
      while (ticks.listenerCount('tick') === 0) await new Promise((r) => setTimeout(r, 10));
    };

    it('closes a connection without a token with 4401', async () => {
      const { closed } = subscribe(undefined);
      await expect(closed).resolves.toMatchObject({ code: WS_CLOSE_UNAUTHENTICATED, reason: 'token_missing' });
    });

    it('delivers events to a valid token, then an UNAUTHENTICATED error and a 4401 close once it has expired', async () => {
      clock = Date.now();
      const token = issuer.sign({ sub: 'sub-live', scope: 'inventory:read' }, { expiresIn: 300 });
      const s = subscribe(`Bearer ${token}`);
      await listening();
      ticks.emit('tick', 'first');
      while (s.events.length === 0) await new Promise((r) => setTimeout(r, 10));
      expect(s.events[0]).toEqual({ data: { stock: 'first' } });
      clock += 600_000;
      ticks.emit('tick', 'second');
      await expect(s.closed).resolves.toMatchObject({ code: WS_CLOSE_UNAUTHENTICATED, reason: 'token_expired' });
      expect(s.events[1]).toMatchObject({
        errors: [{ extensions: { code: 'UNAUTHENTICATED', authCode: 'token_expired' } }],
      });
      expect(s.events).toHaveLength(2);
      clock = Date.now();
      await s.client.dispose();
    });

    it('refuses a subscription whose token lacks the resolver scope', async () => {
      const s = subscribe(`Bearer ${issuer.sign({ scope: 'other' })}`);
      // graphql-ws delivers a refused subscribe as one result with errors, then completes.
      await expect(s.done).resolves.toBe('complete');
      expect(s.events).toEqual([
        expect.objectContaining({
          errors: [
            expect.objectContaining({
              extensions: expect.objectContaining({ code: 'FORBIDDEN', authCode: 'insufficient_scope' }),
            }),
          ],
        }),
      ]);
      await s.client.dispose();
    });
  });
});
