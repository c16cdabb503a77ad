import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, RmqRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import { TestIssuer } from '../src/testing';
import {
  RUN,
  acceptedEvents,
  clientProxyTransport,
  describeTransportContract,
  inventoryHandlers,
  patternsFor,
  startService,
  type TransportUnderTest,
} from './transports/contract';

// RabbitMQ on 127.0.0.1:5672 (guest/guest), per-run queues that the broker deletes when the test disconnects.
jest.setTimeout(60_000);

const urls = ['amqp://guest:guest@127.0.0.1:5672'];
const rmq = (queue: string) => ({ urls, queue, queueOptions: { durable: false, autoDelete: true } });

describe('RabbitMQ (Transport.RMQ) against the broker on 127.0.0.1:5672', () => {
  const a = patternsFor('rmq-a');
  const b = patternsFor('rmq-b');
  const queueA = `jwt-auth-e2e-a-${RUN}`;
  const queueB = `jwt-auth-e2e-b-${RUN}`;
  let issuer: TestIssuer;
  let serviceA: INestMicroservice;
  let serviceB: INestMicroservice;
  let toA: ClientProxy;
  let toB: ClientProxy;
  let transport: TransportUnderTest;

  const withHeaders = (data: Record<string, unknown>, authorization: unknown) =>
    new RmqRecordBuilder(data).setOptions({ headers: { authorization } as Record<string, string> }).build();

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    toB = ClientProxyFactory.create({ transport: Transport.RMQ, options: rmq(queueB) });
    serviceB = await startService(
      issuer,
      { transport: Transport.RMQ, options: rmq(queueB) },
      inventoryHandlers(
        b,
        () => undefined,
        () => b.get,
        false,
      ),
      true,
    );
    serviceA = await startService(
      issuer,
      { transport: Transport.RMQ, options: rmq(queueA) },
      inventoryHandlers(
        a,
        () => toB,
        () => b.get,
        true,
      ),
      false,
    );
    toA = ClientProxyFactory.create({ transport: Transport.RMQ, options: rmq(queueA) });
    await Promise.all([toA.connect(), toB.connect()]);
    transport = clientProxyTransport(issuer, () => toA, a, withHeaders, [
      { name: 'a number', credentials: { authorization: 42 }, status: 401 },
      { name: 'a table', credentials: { authorization: { value: 'Bearer x' } }, status: 401 },
      { name: 'two values', credentials: { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] }, status: 400 },
    ]);
  });

  afterAll(async () => {
    await Promise.all([toA?.close(), toB?.close()]);
    await Promise.all([serviceA?.close(), serviceB?.close()]);
  });

  describeTransportContract('RabbitMQ message headers', () => transport);

  it('reads the envelope too, and refuses a token in the headers plus one in the envelope', async () => {
    const token = issuer.sign({ sub: 'env', scope: 'inventory:read' });
    const envelope = { headers: { authorization: `Bearer ${token}` }, data: { sku: 'E' } };
    await expect(
      transport.call('get', undefined, envelope as unknown as Record<string, unknown>),
    ).resolves.toMatchObject({ ok: true, value: { sku: 'E', sub: 'env' } });
    await expect(transport.call('get', { token }, envelope as unknown as Record<string, unknown>)).resolves.toEqual({
      ok: false,
      status: 400,
      code: 'multiple_tokens',
    });
  });

  it('runs an @EventPattern handler only for an authenticated event', async () => {
    const good = issuer.sign({ sub: 'event-ok', scope: 'inventory:read' });
    const expired = issuer.sign({ sub: 'event-expired', scope: 'inventory:read' }, { expiresIn: -600 });
    toA.emit(a.event, withHeaders({ sku: 'EV-1' }, `Bearer ${expired}`)).subscribe();
    toA.emit(a.event, { sku: 'EV-2' }).subscribe();
    toA.emit(a.event, withHeaders({ sku: 'EV-3' }, `Bearer ${good}`)).subscribe();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (acceptedEvents.some((e) => e.sku === 'EV-3')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    // A round trip on the same queue after the events: the refused ones have been handled by now.
    await transport.call('ping', undefined);
    expect(acceptedEvents.filter((e) => e.sku.startsWith('EV-'))).toEqual([{ sku: 'EV-3', sub: 'event-ok' }]);
  });
});
