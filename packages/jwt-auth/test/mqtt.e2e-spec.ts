import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, MqttRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { createRpcAuthEnvelope } from '../src';
import { TestIssuer } from '../src/testing';
import {
  clientProxyTransport,
  describeTransportContract,
  inventoryHandlers,
  patternsFor,
  rpcOutcome,
  startService,
  type TransportUnderTest,
} from './transports/contract';

// Mosquitto on 127.0.0.1:1883; per-run topics.
jest.setTimeout(60_000);

const url = 'mqtt://127.0.0.1:1883';
const v5 = { url, protocolVersion: 5 as const };

describe('MQTT (Transport.MQTT) against Mosquitto on 127.0.0.1:1883', () => {
  const a = patternsFor('mqtt-a', '/');
  const b = patternsFor('mqtt-b', '/');
  let issuer: TestIssuer;
  let serviceA: INestMicroservice;
  let serviceB: INestMicroservice;
  let toA: ClientProxy;
  let toB: ClientProxy;
  let toA311: ClientProxy;
  let transport: TransportUnderTest;

  const withUserProperties = (data: Record<string, unknown>, authorization: unknown) =>
    new MqttRecordBuilder(data)
      .setProperties({ userProperties: { authorization: authorization as string | string[] } })
      .build();

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['EdDSA'] });
    toB = ClientProxyFactory.create({ transport: Transport.MQTT, options: v5 });
    serviceB = await startService(
      issuer,
      { transport: Transport.MQTT, options: v5 },
      inventoryHandlers(
        b,
        () => undefined,
        () => b.get,
        false,
      ),
    );
    serviceA = await startService(
      issuer,
      { transport: Transport.MQTT, options: v5 },
      inventoryHandlers(
        a,
        () => toB,
        () => b.get,
        false,
      ),
    );
    toA = ClientProxyFactory.create({ transport: Transport.MQTT, options: v5 });
    toA311 = ClientProxyFactory.create({ transport: Transport.MQTT, options: { url, protocolVersion: 4 } });
    await Promise.all([toA.connect(), toB.connect(), toA311.connect()]);
    transport = clientProxyTransport(issuer, () => toA, a, withUserProperties, [
      {
        name: 'a repeated user property',
        credentials: { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] },
        status: 400,
      },
      { name: 'an empty value', credentials: { authorization: '' }, status: 401 },
    ]);
  });

  afterAll(async () => {
    await Promise.all([toA?.close(), toB?.close(), toA311?.close()]);
    await Promise.all([serviceA?.close(), serviceB?.close()]);
  });

  describeTransportContract('MQTT 5 user properties', () => transport);

  describe('MQTT 3.1.1 (no user properties): the documented envelope', () => {
    const send = async (payload: unknown) => {
      try {
        return { ok: true, value: await firstValueFrom(toA311.send(a.get, payload)) };
      } catch (error) {
        return rpcOutcome(error);
      }
    };

    it('serves an envelope with a valid token and refuses a missing or non-string one', async () => {
      const token = issuer.sign({ sub: 'mqtt311', scope: 'inventory:read' });
      await expect(send(createRpcAuthEnvelope(token, { sku: 'M3' }))).resolves.toMatchObject({
        ok: true,
        value: { sku: 'M3', sub: 'mqtt311' },
      });
      await expect(send({ sku: 'M3' })).resolves.toEqual({ ok: false, status: 401, code: 'token_missing' });
      await expect(send({ headers: { authorization: 7 }, data: { sku: 'M3' } })).resolves.toEqual({
        ok: false,
        status: 401,
        code: 'token_malformed',
      });
    });
  });
});
