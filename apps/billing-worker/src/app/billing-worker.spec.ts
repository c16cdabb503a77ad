import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { CurrentUser, JwtAuthModule, RpcData, Scopes, type AuthPrincipal } from '@nest-sso/jwt-auth';
import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { INVENTORY_PATTERNS, type ReserveStockRequest, type StockQuery } from '@nest-sso/inventory-contracts';
import { ServiceConfigError } from '@nest-sso/sso-config';
import { createBillingWorker, type BillingWorker } from './billing-worker';
import { billingConfigFromEnv } from './billing.config';

jest.setTimeout(30_000);

/** A stand-in inventory-service on real TCP, guarded by the real JwtAuthModule like the real one. */
@Controller()
class StandInInventory {
  @MessagePattern(INVENTORY_PATTERNS.getStock)
  @Scopes('inventory:read')
  getStock(@RpcData() query: StockQuery) {
    return { sku: query.sku, available: 10, reserved: 0 };
  }

  @MessagePattern(INVENTORY_PATTERNS.reserve)
  @Scopes('inventory:reserve')
  reserve(@RpcData() request: ReserveStockRequest, @CurrentUser() caller: AuthPrincipal) {
    return {
      reservationId: 'res-1',
      sku: request.sku,
      quantity: request.quantity,
      remaining: 9,
      reference: request.reference,
      reservedBy: caller.subject,
      clientId: caller.clientId ?? null,
    };
  }
}

describe('billing-worker', () => {
  let issuer: TestIssuer;
  let inventory: INestMicroservice;
  let tokenServer: HttpServer;
  let tokenEndpoint: string;
  const tokenRequests: { authorization?: string; body: URLSearchParams }[] = [];
  /** Tokens the endpoint hands out next (default: a valid one). */
  const queue: string[] = [];

  const validToken = () =>
    issuer.sign({
      sub: 'billing-worker',
      client_id: 'billing-worker',
      scope: 'inventory:read inventory:reserve',
    });
  const env = (extra: Record<string, string> = {}) => ({
    AUTH_ISSUER: issuer.issuerUrl,
    AUTH_TOKEN_ENDPOINT: tokenEndpoint,
    AUTH_CLIENT_ID: 'billing-worker',
    AUTH_CLIENT_SECRET: 'billing-worker-secret',
    AUTH_ALLOW_INSECURE_HTTP: 'true',
    INVENTORY_PORT: String((inventory.unwrap<Server>().address() as AddressInfo).port),
    ...extra,
  });

  beforeAll(async () => {
    issuer = await TestIssuer.create({
      algorithms: ['EdDSA'],
      audience: 'inventory-service',
    });
    await issuer.start();
    tokenServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        tokenRequests.push({
          authorization: request.headers.authorization,
          body: new URLSearchParams(body),
        });
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            access_token: queue.shift() ?? validToken(),
            token_type: 'Bearer',
            expires_in: 300,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    tokenEndpoint = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
    const ref = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuer: issuer.issuerUrl,
          audience: 'inventory-service',
          jwksUri: issuer.jwksUri,
          allowInsecureHttp: true,
          globalGuard: true,
        }),
      ],
      controllers: [StandInInventory],
    }).compile();
    inventory = ref.createNestMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port: 0 },
    });
    inventory.useLogger(false);
    await inventory.listen();
  });

  afterAll(async () => {
    await inventory?.close();
    await new Promise<void>((resolve) => tokenServer?.close(() => resolve()));
    await issuer?.stop();
  });

  beforeEach(() => {
    tokenRequests.length = 0;
  });

  it('reads then reserves stock with its own client-credentials token, fetched once and reused', async () => {
    const worker: BillingWorker = await createBillingWorker(
      billingConfigFromEnv(env({ BILLING_SKU: 'SKU-7', BILLING_QUANTITY: '2' })),
      false,
    );
    try {
      const first = await worker.runOnce();
      expect(first).toEqual({
        stock: { sku: 'SKU-7', available: 10, reserved: 0 },
        reservation: {
          reservationId: 'res-1',
          sku: 'SKU-7',
          quantity: 2,
          remaining: 9,
          reference: expect.stringMatching(/^billing-/),
          reservedBy: 'billing-worker',
          clientId: 'billing-worker',
        },
        tokenRenewed: false,
      });
      await worker.runOnce();
      expect(tokenRequests).toHaveLength(1);
      expect(tokenRequests[0].authorization).toBe(
        `Basic ${Buffer.from('billing-worker:billing-worker-secret').toString('base64')}`,
      );
      expect(tokenRequests[0].body.get('grant_type')).toBe('client_credentials');
      expect(tokenRequests[0].body.get('scope')).toBe('inventory:read inventory:reserve');
      expect(tokenRequests[0].body.get('resource')).toBe('inventory-service');
    } finally {
      await worker.close();
    }
  });

  it('fetches a new token once when inventory-service refuses the cached one', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    queue.push(issuer.sign({ sub: 'billing-worker', scope: 'inventory:read inventory:reserve' }, { key: privateKey }));
    const worker = await createBillingWorker(billingConfigFromEnv(env()), false);
    try {
      await expect(worker.runOnce()).resolves.toMatchObject({
        tokenRenewed: true,
        reservation: { reservedBy: 'billing-worker' },
      });
      expect(tokenRequests).toHaveLength(2);
    } finally {
      await worker.close();
    }
  });

  it('fails with the 403 of inventory-service when its token lacks a scope, without retrying', async () => {
    queue.push(issuer.sign({ sub: 'billing-worker', scope: 'inventory:read' }));
    const worker = await createBillingWorker(billingConfigFromEnv(env()), false);
    try {
      await expect(worker.runOnce()).rejects.toMatchObject({
        status: 403,
        code: 'insufficient_scope',
      });
      expect(tokenRequests).toHaveLength(1);
    } finally {
      await worker.close();
    }
  });
});

describe('billingConfigFromEnv', () => {
  it('lists every problem and never echoes the secret', () => {
    let error: ServiceConfigError | undefined;
    try {
      billingConfigFromEnv({
        AUTH_ISSUER: 'http://127.0.0.1:4000',
        AUTH_CLIENT_SECRET: 'do-not-print-me',
        INVENTORY_PORT: '0',
        BILLING_QUANTITY: 'lots',
      });
    } catch (e) {
      error = e as ServiceConfigError;
    }
    expect(error?.problems).toEqual([
      expect.stringMatching(/^AUTH_ISSUER: .*plain http/),
      expect.stringMatching(/^AUTH_CLIENT_ID: is required/),
      expect.stringMatching(/^INVENTORY_PORT: must be the port/),
      expect.stringMatching(/^BILLING_QUANTITY: must be an integer/),
    ]);
    expect(error?.message).not.toContain('do-not-print-me');
  });
});
