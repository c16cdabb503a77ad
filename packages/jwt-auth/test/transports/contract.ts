import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Controller, UseGuards, type INestMicroservice, type Type } from '@nestjs/common';
import { EventPattern, MessagePattern, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import {
  AccessToken,
  CurrentUser,
  OptionalAuth,
  type AuthPrincipal,
  JwtAuthGuard,
  JwtAuthModule,
  Public,
  Roles,
  RpcData,
  Scopes,
  TokenRelay,
  TokenRelayModule,
} from '../../src';
import type { TestIssuer } from '../../src/testing';
import { fingerprint } from '../fixtures';

/** How a test call presents its credentials: a token, a raw `authorization` value of any type, or nothing. */
export type Credentials = { readonly token: string } | { readonly authorization: unknown } | undefined;

/** The handlers every transport serves (see {@link inventoryHandlers}). */
export type Operation = 'get' | 'adjust' | 'ping' | 'admin' | 'relay' | 'maybe';

/** A call's outcome as the caller sees it, normalised across transports. */
export type Outcome =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly status: number; readonly code: string };

/** One transport, started with a guarded service A and a second service B that A relays to. */
export interface TransportUnderTest {
  readonly issuer: TestIssuer;
  call(operation: Operation, credentials: Credentials, data?: Record<string, unknown>): Promise<Outcome>;
  /** Authorization values this transport can carry that must be refused, with the expected status. */
  readonly hostile: readonly { readonly name: string; readonly credentials: Credentials; readonly status: number }[];
}

/** Per-run names, so engineers sharing the brokers never see each other's messages. */
export const RUN = randomUUID().slice(0, 8);

/** Message patterns of one service. */
export interface Patterns {
  readonly get: string;
  readonly adjust: string;
  readonly ping: string;
  readonly admin: string;
  readonly relay: string;
  readonly event: string;
  readonly maybe: string;
}

/** Patterns under a per-run prefix; `separator` suits the transport (`/` for MQTT topics, `.` elsewhere). */
export function patternsFor(service: string, separator = '.'): Patterns {
  const prefix = ['jwt-auth-e2e', service, RUN].join(separator);
  const name = (op: string) => `${prefix}${separator}${op}`;
  return {
    get: name('get'),
    adjust: name('adjust'),
    ping: name('ping'),
    admin: name('admin'),
    relay: name('relay'),
    event: name('event'),
    maybe: name('maybe'),
  };
}

/** Events a handler accepted, by subject, so a test can see which ones ran. */
export const acceptedEvents: { sku: string; sub: string }[] = [];

/**
 * The message handlers of one inventory service: class scope `inventory:read`, `adjust` needs `inventory:write`,
 * `ping` is public, `admin` needs the `admin` role, `relay` forwards the caller's token to `downstream` (service B);
 * and, in a second class without scopes, `maybe` under `@OptionalAuth()`.
 */
export function inventoryHandlers(
  p: Patterns,
  downstream: () => ClientProxy | undefined,
  downstreamPattern: () => string,
  guard: boolean,
): Type<unknown>[] {
  @Controller()
  @Scopes('inventory:read')
  class InventoryHandlers {
    constructor(private readonly relay: TokenRelay) {}

    @MessagePattern(p.get)
    get(@RpcData() data: { sku: string }, @CurrentUser('sub') sub: string, @AccessToken() token: string) {
      return { sku: data.sku, sub, fingerprint: fingerprint(token) };
    }

    @MessagePattern(p.adjust)
    @Scopes('inventory:write')
    adjust(@RpcData() data: { sku: string; delta: number }, @CurrentUser('sub') sub: string) {
      return { sku: data.sku, delta: data.delta, by: sub };
    }

    @MessagePattern(p.ping)
    @Public()
    ping(@CurrentUser() user: unknown) {
      return { pong: true, user: user ?? null };
    }

    @MessagePattern(p.admin)
    @Roles('admin')
    admin(@CurrentUser('sub') sub: string) {
      return { admin: sub };
    }

    @MessagePattern(p.relay)
    async forward(@RpcData() data: { sku: string }) {
      const client = downstream();
      if (!client) throw new Error('no downstream client');
      // No token argument: TokenRelay reads the current call's token (TokenRelayModule).
      const result = await firstValueFrom(this.relay.send(client, downstreamPattern(), { sku: data.sku }));
      return { relayed: true, downstream: result };
    }

    @EventPattern(p.event)
    event(@RpcData() data: { sku: string }, @CurrentUser('sub') sub: string) {
      acceptedEvents.push({ sku: data.sku, sub });
    }
  }
  @Controller()
  class OptionalHandlers {
    @MessagePattern(p.maybe)
    @OptionalAuth()
    maybe(@CurrentUser() user: AuthPrincipal | undefined, @AccessToken() token: string | undefined) {
      return { anonymous: user === undefined, sub: user?.subject ?? null, hasToken: token !== undefined };
    }
  }
  if (guard) {
    UseGuards(JwtAuthGuard)(InventoryHandlers);
    UseGuards(JwtAuthGuard)(OptionalHandlers);
  }
  return [InventoryHandlers, OptionalHandlers];
}

/** A token signed by a key the issuer never published, with the issuer's `kid`. */
export function forgedToken(issuer: TestIssuer, claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return issuer.sign(claims, { key: privateKey });
}

/** Normalise an `RpcAuthErrorPayload`-shaped rejection. */
export function rpcOutcome(error: unknown): Outcome {
  const e = error as { status?: unknown; code?: unknown; message?: unknown };
  return {
    ok: false,
    status: typeof e?.status === 'number' ? e.status : 500,
    code: typeof e?.code === 'string' ? e.code : String(e?.message ?? error),
  };
}

/** The table every transport runs: same cases, same expectations. */
export function describeTransportContract(name: string, setup: () => TransportUnderTest): void {
  describe(`${name}: the shared transport contract`, () => {
    const valid = (issuer: TestIssuer, claims: Record<string, unknown> = {}) =>
      issuer.sign({ sub: 'svc-orders', scope: 'inventory:read', ...claims });

    const refusals: [string, (issuer: TestIssuer) => Credentials, Operation, number, string][] = [
      ['a missing token', () => undefined, 'get', 401, 'token_missing'],
      [
        'an expired token',
        (i) => ({ token: i.sign({ scope: 'inventory:read' }, { expiresIn: -600 }) }),
        'get',
        401,
        'token_expired',
      ],
      [
        'a token for another audience',
        (i) => ({ token: i.sign({ scope: 'inventory:read', aud: 'billing' }) }),
        'get',
        401,
        'audience_invalid',
      ],
      [
        'a forged signature',
        (i) => ({ token: forgedToken(i, { scope: 'inventory:read' }) }),
        'get',
        401,
        'signature_invalid',
      ],
      ['a missing handler scope', (i) => ({ token: valid(i) }), 'adjust', 403, 'insufficient_scope'],
      [
        'a missing class scope',
        (i) => ({ token: i.sign({ scope: 'inventory:write' }) }),
        'adjust',
        403,
        'insufficient_scope',
      ],
      ['a missing role', (i) => ({ token: valid(i, { roles: ['viewer'] }) }), 'admin', 403, 'insufficient_scope'],
    ];

    it.each(refusals)('refuses %s with a typed error', async (_case, credentials, operation, status, code) => {
      const t = setup();
      await expect(t.call(operation, credentials(t.issuer), { sku: 'A-1', delta: 1 })).resolves.toEqual({
        ok: false,
        status,
        code,
      });
    });

    it('serves a valid token and hands the principal and token to @CurrentUser / @AccessToken', async () => {
      const t = setup();
      const token = valid(t.issuer);
      await expect(t.call('get', { token }, { sku: 'A-1' })).resolves.toEqual({
        ok: true,
        value: { sku: 'A-1', sub: 'svc-orders', fingerprint: fingerprint(token) },
      });
      const writer = t.issuer.sign({ sub: 'w', scope: 'inventory:read inventory:write' });
      await expect(t.call('adjust', { token: writer }, { sku: 'A-2', delta: 3 })).resolves.toEqual({
        ok: true,
        value: { sku: 'A-2', delta: 3, by: 'w' },
      });
      await expect(t.call('admin', { token: valid(t.issuer, { roles: ['admin'] }) })).resolves.toEqual({
        ok: true,
        value: { admin: 'svc-orders' },
      });
    });

    it('serves @OptionalAuth anonymously, with the principal for a valid token, and refuses a bad one', async () => {
      const t = setup();
      await expect(t.call('maybe', undefined)).resolves.toEqual({
        ok: true,
        value: { anonymous: true, sub: null, hasToken: false },
      });
      await expect(t.call('maybe', { token: valid(t.issuer) })).resolves.toEqual({
        ok: true,
        value: { anonymous: false, sub: 'svc-orders', hasToken: true },
      });
      const expired = t.issuer.sign({ sub: 'x' }, { expiresIn: -600 });
      await expect(t.call('maybe', { token: expired })).resolves.toEqual({
        ok: false,
        status: 401,
        code: 'token_expired',
      });
    });

    it('lets @Public handlers through without a token', async () => {
      await expect(setup().call('ping', undefined)).resolves.toEqual({ ok: true, value: { pong: true, user: null } });
    });

    it('relays the caller token to a second service of the same transport', async () => {
      const t = setup();
      const token = valid(t.issuer);
      await expect(t.call('relay', { token }, { sku: 'R-1' })).resolves.toEqual({
        ok: true,
        value: { relayed: true, downstream: { sku: 'R-1', sub: 'svc-orders', fingerprint: fingerprint(token) } },
      });
    });

    it('answers hostile authorization values with a typed error and keeps serving', async () => {
      const t = setup();
      const cases = [
        { name: 'a huge header', credentials: { authorization: `Bearer ${'A'.repeat(9000)}` }, status: 401 },
        { name: 'a bare scheme', credentials: { authorization: 'Bearer' }, status: 401 },
        { name: 'a Basic credential', credentials: { authorization: 'Basic dXNlcjpwYXNz' }, status: 401 },
        ...t.hostile,
      ];
      const wrong: string[] = [];
      for (const c of cases) {
        const outcome = await t.call('get', c.credentials, { sku: 'H' });
        if (outcome.ok || outcome.status !== c.status) wrong.push(`${c.name}: ${JSON.stringify(outcome)}`);
      }
      expect(wrong).toEqual([]);
      await expect(t.call('get', { token: valid(t.issuer) }, { sku: 'after' })).resolves.toMatchObject({ ok: true });
    });
  });
}

/** Start one guarded microservice (global guard, token relay) serving `controller`. */
export async function startService(
  issuer: TestIssuer,
  options: MicroserviceOptions,
  controllers: Type<unknown> | Type<unknown>[],
  globalGuard = true,
): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwtAuthModule.forRoot({ ...issuer.issuerOptions('static'), globalGuard }), TokenRelayModule],
    controllers: Array.isArray(controllers) ? controllers : [controllers],
  }).compile();
  const app = moduleRef.createNestMicroservice<MicroserviceOptions>(options);
  app.useLogger(false);
  await app.listen();
  return app;
}

/** A {@link TransportUnderTest} over a `ClientProxy`: `record` puts the credentials where the transport carries them. */
export function clientProxyTransport(
  issuer: TestIssuer,
  client: () => ClientProxy,
  patterns: Patterns,
  record: (data: Record<string, unknown>, authorization: unknown) => unknown,
  hostile: TransportUnderTest['hostile'],
): TransportUnderTest {
  return {
    issuer,
    hostile,
    async call(operation, credentials, data = {}) {
      const authorization =
        credentials === undefined
          ? undefined
          : 'token' in credentials
            ? `Bearer ${credentials.token}`
            : credentials.authorization;
      const payload = authorization === undefined ? data : record(data, authorization);
      try {
        return { ok: true, value: await firstValueFrom(client().send(patterns[operation], payload)) };
      } catch (error) {
        return rpcOutcome(error);
      }
    },
  };
}
