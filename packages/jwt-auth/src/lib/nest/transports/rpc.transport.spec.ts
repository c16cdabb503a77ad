import { KafkaContext, MqttContext, NatsContext, RedisContext, RmqContext, TcpContext } from '@nestjs/microservices';
import { headers as natsHeaders } from 'nats';
import type { AuthError } from '../../errors/auth.errors';
import { createRpcContext } from '../../../testing';
import { RpcAuthTransport, detectRpcTransport } from './rpc.transport';
import { createRpcAuthEnvelope } from './rpc-auth-envelope';

const transport = new RpcAuthTransport();
const extract = (data: unknown, ctx?: unknown) => transport.extractToken(createRpcContext(data, ctx));
const failure = (data: unknown, ctx?: unknown): string | undefined => {
  try {
    extract(data, ctx);
    return undefined;
  } catch (error) {
    return (error as AuthError).code;
  }
};

class FakeMetadata {
  constructor(private readonly map: Record<string, (string | Buffer)[]>) {}
  get(key: string): (string | Buffer)[] {
    return this.map[key] ?? [];
  }
  getMap(): Record<string, unknown> {
    return this.map;
  }
}

const tcp = () => new TcpContext([{} as never, 'pattern']);
const nats = (values: Record<string, string[]> | undefined) => {
  if (!values) return new NatsContext(['subject', undefined]);
  const h = natsHeaders();
  for (const [key, list] of Object.entries(values)) for (const v of list) h.append(key, v);
  return new NatsContext(['subject', h]);
};
const rmq = (headers: Record<string, unknown>) =>
  new RmqContext([{ properties: { headers }, content: Buffer.from('') }, {}, 'pattern']);
const kafka = (headers: Record<string, unknown>) =>
  new KafkaContext([{ headers, value: null } as never, 0, 'topic', {} as never, async () => undefined, {} as never]);
const mqtt = (userProperties: Record<string, unknown>) =>
  new MqttContext(['topic', { properties: { userProperties } }]);

describe('detectRpcTransport', () => {
  it.each([
    ['tcp', tcp()],
    ['nats', nats({})],
    ['redis', new RedisContext(['channel'])],
    ['rmq', rmq({})],
    ['kafka', kafka({})],
    ['mqtt', mqtt({})],
    ['grpc', new FakeMetadata({})],
    ['unknown', undefined],
    ['unknown', { some: 'object' }],
  ])('recognises %s', (kind, ctx) => {
    expect(detectRpcTransport(createRpcContext({}, ctx))).toBe(kind);
  });
});

describe('RpcAuthTransport.extractToken', () => {
  it('reads the envelope on TCP and Redis', () => {
    expect(extract(createRpcAuthEnvelope('tcp.token.x', { a: 1 }), tcp())).toBe('tcp.token.x');
    expect(extract(createRpcAuthEnvelope('redis.token.x', null), new RedisContext(['c']))).toBe('redis.token.x');
  });

  it('reads envelope header names in any case', () => {
    expect(extract({ headers: { AUTHORIZATION: 'Bearer abc' }, data: 1 }, tcp())).toBe('abc');
  });

  it('finds no token in a plain payload, a primitive payload or an envelope without authorization', () => {
    expect(extract({ sku: 'x' }, tcp())).toBeUndefined();
    expect(extract('just a string', tcp())).toBeUndefined();
    expect(extract({ headers: { traceparent: 'x' }, data: 1 }, tcp())).toBeUndefined();
    expect(extract({ headers: 'Bearer abc' }, tcp())).toBeUndefined();
  });

  it('reads NATS headers of any case and refuses repeated values', () => {
    expect(extract({}, nats({ Authorization: ['Bearer nats.tok'] }))).toBe('nats.tok');
    expect(extract({}, nats(undefined))).toBeUndefined();
    expect(failure({}, nats({ authorization: ['Bearer a', 'Bearer b'] }))).toBe('multiple_tokens');
  });

  it('reads RMQ message property headers', () => {
    expect(extract({}, rmq({ authorization: 'Bearer rmq.tok' }))).toBe('rmq.tok');
  });

  it('reads Kafka headers delivered as Buffers and refuses undecodable bytes', () => {
    expect(extract({}, kafka({ authorization: Buffer.from('Bearer kafka.tok') }))).toBe('kafka.tok');
    expect(failure({}, kafka({ authorization: Buffer.from([0xff, 0xfe]) }))).toBe('token_malformed');
  });

  it('reads MQTT 5 user properties', () => {
    expect(extract({}, mqtt({ authorization: 'Bearer mqtt.tok' }))).toBe('mqtt.tok');
  });

  it('reads gRPC authorization metadata', () => {
    expect(extract({}, new FakeMetadata({ authorization: ['Bearer grpc.tok'] }))).toBe('grpc.tok');
    expect(failure({}, new FakeMetadata({ authorization: ['Bearer a', 'Bearer b'] }))).toBe('multiple_tokens');
  });

  it('refuses a token in the transport headers plus one in the envelope', () => {
    expect(failure(createRpcAuthEnvelope('b', {}), rmq({ authorization: 'Bearer a' }))).toBe('multiple_tokens');
  });

  it('refuses malformed envelope values', () => {
    expect(failure({ headers: { authorization: 12 }, data: 1 }, tcp())).toBe('token_malformed');
    expect(failure({ headers: { authorization: 'Bearer a b' }, data: 1 }, tcp())).toBe('token_malformed');
  });
});

describe('RpcAuthTransport.toException', () => {
  it('builds an RpcException with status, code and message; gRPC gets a numeric status', async () => {
    const { AuthError: Err } = await import('../../errors/auth.errors');
    const { RpcException } = await import('@nestjs/microservices');
    const error = new Err('token_expired', 'token has expired');
    const exception = (await transport.toException(error, createRpcContext({}, tcp()))) as InstanceType<
      typeof RpcException
    >;
    expect(exception).toBeInstanceOf(RpcException);
    expect(exception.getError()).toEqual({ status: 401, code: 'token_expired', message: 'token has expired' });
    const grpc = (await transport.toException(
      new Err('insufficient_scope', 'no'),
      createRpcContext({}, new FakeMetadata({})),
    )) as InstanceType<typeof RpcException>;
    expect(grpc.getError()).toEqual({
      code: 7,
      message: 'insufficient_scope: no',
      status: 403,
      error: 'insufficient_scope',
    });
  });
});
