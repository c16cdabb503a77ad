import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { ServerKafka, type ClientProxy } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { TestIssuer } from '../src/testing';
import {
  describeTransportContract,
  inventoryHandlers,
  patternsFor,
  startService,
  type Credentials,
  type Operation,
  type Outcome,
  type TransportUnderTest,
} from './transports/contract';

// No Kafka broker exists on these machines (none in the registries they reach), so this suite drives Nest's real
// ServerKafka message path (KafkaParser, deserializer, KafkaContext, guard, serializer, error headers) with
// kafkajs-shaped EachMessagePayloads; only the broker round trip is replaced: replies are taken from the producer.
jest.setTimeout(60_000);

interface ProducedMessage {
  value: string | Buffer | null;
  headers: Record<string, Buffer | string>;
}

class LoopbackKafkaServer extends ServerKafka {
  private readonly pending = new Map<string, (message: ProducedMessage) => void>();

  constructor() {
    super({ client: { brokers: ['127.0.0.1:9'] } });
  }

  override async listen(callback: (error?: unknown) => void): Promise<void> {
    // The producer ServerKafka replies with; nothing else of kafkajs is touched.
    this.producer = {
      send: async ({ messages }: { messages: ProducedMessage[] }) => {
        for (const message of messages) this.pending.get(String(message.headers['kafka_correlationId']))?.(message);
        return [];
      },
    } as unknown as ServerKafka['producer'];
    callback();
  }

  override async close(): Promise<void> {
    this.pending.clear();
  }

  /** Deliver one request message on `topic` and resolve with the reply the server produced. */
  request(topic: string, value: unknown, headers: Record<string, unknown>): Promise<ProducedMessage> {
    const correlationId = randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, (message) => {
        this.pending.delete(correlationId);
        resolve(message);
      });
      this.handleMessage({
        topic,
        partition: 0,
        message: {
          key: null,
          value: Buffer.from(JSON.stringify(value)),
          timestamp: String(Date.now()),
          attributes: 0,
          offset: '0',
          size: 0,
          headers: {
            kafka_correlationId: Buffer.from(correlationId),
            kafka_replyTopic: Buffer.from(`${topic}.reply`),
            kafka_replyPartition: Buffer.from('0'),
            ...(headers as Record<string, Buffer>),
          },
        },
        heartbeat: async () => undefined,
        pause: () => () => undefined,
      } as unknown as Parameters<ServerKafka['handleMessage']>[0]).catch(reject);
    });
  }
}

function outcomeOf(reply: ProducedMessage): Outcome {
  const err = reply.headers['kafka_nest-err'];
  if (err !== undefined) {
    const error = JSON.parse(err.toString()) as { status: number; code: string };
    return { ok: false, status: error.status, code: error.code };
  }
  return { ok: true, value: JSON.parse(String(reply.value)) as Record<string, unknown> };
}

const headerOf = (credentials: Credentials): Record<string, unknown> => {
  if (credentials === undefined) return {};
  const value = 'token' in credentials ? `Bearer ${credentials.token}` : credentials.authorization;
  return { authorization: value instanceof Buffer || Array.isArray(value) ? value : Buffer.from(String(value)) };
};

describe('Kafka (Nest ServerKafka message path, kafkajs-shaped messages, no broker)', () => {
  const a = patternsFor('kafka-a');
  const b = patternsFor('kafka-b');
  const serverA = new LoopbackKafkaServer();
  const serverB = new LoopbackKafkaServer();
  let issuer: TestIssuer;
  let serviceA: INestMicroservice;
  let serviceB: INestMicroservice;
  let transport: TransportUnderTest;

  // What service A's TokenRelay sends through: B's server, reached without a broker.
  const toB = {
    send: (pattern: string, data: unknown) =>
      new Observable((subscriber) => {
        serverB.request(pattern, data, {}).then(
          (reply) => {
            const outcome = outcomeOf(reply);
            if (outcome.ok) subscriber.next(outcome.value);
            else subscriber.error(outcome);
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(error),
        );
      }),
    emit: () => new Observable(),
  } as unknown as ClientProxy;

  beforeAll(async () => {
    issuer = await TestIssuer.create({ algorithms: ['ES384'] });
    serviceB = await startService(
      issuer,
      { strategy: serverB },
      inventoryHandlers(
        b,
        () => undefined,
        () => b.get,
        false,
      ),
    );
    serviceA = await startService(
      issuer,
      { strategy: serverA },
      inventoryHandlers(
        a,
        () => toB,
        () => b.get,
        false,
      ),
    );
    const topics: Record<Operation, string> = a;
    transport = {
      issuer,
      hostile: [
        {
          name: 'two values in one header (kafkajs array)',
          credentials: { authorization: [Buffer.from('Bearer a.b.c'), Buffer.from('Bearer d.e.f')] },
          status: 400,
        },
        { name: 'a JSON object value', credentials: { authorization: '{"token":"x"}' }, status: 401 },
        { name: 'a JSON array value', credentials: { authorization: '["Bearer a.b.c","Bearer d.e.f"]' }, status: 400 },
        {
          name: 'invalid UTF-8',
          credentials: { authorization: Buffer.from([0x42, 0xff, 0xfe, 0x20, 0x41]) },
          status: 401,
        },
        {
          name: 'a schema-registry style binary value',
          credentials: { authorization: Buffer.from([0, 1, 2]) },
          status: 401,
        },
      ],
      call: async (operation, credentials, data = {}) =>
        outcomeOf(await serverA.request(topics[operation], data, headerOf(credentials))),
    };
  });

  afterAll(async () => {
    await Promise.all([serviceA?.close(), serviceB?.close()]);
  });

  describeTransportContract('Kafka message headers', () => transport);
});
