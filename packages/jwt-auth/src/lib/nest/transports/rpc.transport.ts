import type { ExecutionContext } from '@nestjs/common';
import { AuthError } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import { attachAuthentication } from '../auth-context';
import { toRpcException, type RpcTransportKind } from '../auth-error.mapper';
import type { AuthTransport } from './auth-transport.interface';
import { collectBearerTokens, singleToken } from '../../bearer/bearer-credentials';
import { envelopeAuthorizationValues } from './rpc-auth-envelope';

type Fn = (...args: unknown[]) => unknown;
type Duck = Record<string, unknown>;

function has(ctx: unknown, ...methods: string[]): ctx is Record<string, Fn> {
  return typeof ctx === 'object' && ctx !== null && methods.every((m) => typeof (ctx as Duck)[m] === 'function');
}

/**
 * Which transport an RPC call came in on, from the shape of its context argument. Duck-typed, because importing the
 * context classes would make the optional `@nestjs/microservices` peer mandatory.
 */
export function detectRpcTransport(context: ExecutionContext): RpcTransportKind {
  const ctx: unknown = context.getArgByIndex(1);
  if (has(ctx, 'getSubject', 'getHeaders')) return 'nats';
  if (has(ctx, 'getChannelRef', 'getMessage')) return 'rmq';
  if (has(ctx, 'getPartition', 'getMessage')) return 'kafka';
  if (has(ctx, 'getPacket', 'getTopic')) return 'mqtt';
  if (has(ctx, 'getSocketRef')) return 'tcp';
  if (has(ctx, 'getChannel')) return 'redis';
  if (has(ctx, 'getMap', 'get')) return 'grpc';
  return 'unknown';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(value: unknown): unknown {
  // Kafka and gRPC binary metadata deliver Buffers; an undecodable one stays non-string and is refused as malformed.
  if (value instanceof Uint8Array) {
    try {
      return utf8.decode(value);
    } catch {
      return value;
    }
  }
  return value;
}

function fromRecord(headers: unknown): unknown[] {
  if (typeof headers !== 'object' || headers === null) return [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(headers as Duck)) {
    if (key.toLowerCase() !== 'authorization' || value === undefined || value === null) continue;
    if (Array.isArray(value)) values.push(...value.map(asText));
    else values.push(asText(value));
  }
  return values;
}

function fromNatsHeaders(headers: unknown): unknown[] {
  // nats.js MsgHdrs: exact-case keys, several values per key.
  if (has(headers, 'keys', 'values')) {
    const values: unknown[] = [];
    for (const key of headers['keys']() as Iterable<string>) {
      if (String(key).toLowerCase() === 'authorization') values.push(...(headers['values'](key) as unknown[]));
    }
    return values;
  }
  return fromRecord(headers);
}

/** The raw `authorization` values a transport carries in its own message headers / metadata. */
export function transportAuthorizationValues(kind: RpcTransportKind, ctx: unknown): unknown[] {
  if (typeof ctx !== 'object' || ctx === null) return [];
  const c = ctx as Record<string, Fn>;
  switch (kind) {
    case 'nats':
      return fromNatsHeaders(c['getHeaders']());
    case 'rmq':
      return fromRecord((c['getMessage']() as { properties?: { headers?: unknown } } | undefined)?.properties?.headers);
    case 'kafka':
      return fromRecord((c['getMessage']() as { headers?: unknown } | undefined)?.headers);
    case 'mqtt':
      return fromRecord(
        (c['getPacket']() as { properties?: { userProperties?: unknown } } | undefined)?.properties?.userProperties,
      );
    case 'grpc':
      return (c['get']('authorization') as unknown[]).map(asText);
    default:
      return [];
  }
}

/**
 * RPC adapter: reads the transport's own headers (NATS headers, RMQ message headers, Kafka headers, MQTT 5 user
 * properties, gRPC `authorization` metadata) and the {@link RpcAuthEnvelope} in the payload; answers with an
 * `RpcException({ status, code, message })`.
 */
export class RpcAuthTransport implements AuthTransport {
  readonly type = 'rpc';

  extractToken(context: ExecutionContext): string | undefined {
    const kind = detectRpcTransport(context);
    const values = [
      ...transportAuthorizationValues(kind, context.getArgByIndex(1)),
      ...envelopeAuthorizationValues(context.getArgByIndex(0)),
    ];
    return singleToken(collectBearerTokens(values));
  }

  attach(context: ExecutionContext, principal: AuthPrincipal | undefined, token: string | undefined): void {
    attachAuthentication(context, principal, token);
  }

  toException(error: AuthError, context: ExecutionContext): Promise<unknown> {
    return toRpcException(error, detectRpcTransport(context));
  }
}
