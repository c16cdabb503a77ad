/**
 * The message shape that carries a token over transports without message headers (TCP, Redis) and over any other
 * transport when the sender prefers it: `{ headers: { authorization: 'Bearer <token>' }, data }`.
 * Read `data` in the handler with `@Payload(RPC_ENVELOPE_DATA)` (that is, `@Payload('data')`).
 */
export interface RpcAuthEnvelope<T = unknown> {
  /** Message headers; `authorization` holds `Bearer <token>` (the same syntax as HTTP). */
  readonly headers: { readonly authorization: string };
  /** The application payload. */
  readonly data: T;
}

/** The envelope property holding the application payload, for `@Payload(RPC_ENVELOPE_DATA)`. */
export const RPC_ENVELOPE_DATA = 'data';

/**
 * Wrap a payload and a token into an {@link RpcAuthEnvelope} for `ClientProxy.send()` / `emit()`.
 * @example client.send('orders.get', createRpcAuthEnvelope(token, { id }))
 */
export function createRpcAuthEnvelope<T>(token: string, data: T): RpcAuthEnvelope<T> {
  return { headers: { authorization: `Bearer ${token}` }, data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The raw `authorization` values of an envelope-shaped payload (any key case), `[]` for other payloads. */
export function envelopeAuthorizationValues(payload: unknown): unknown[] {
  if (!isRecord(payload) || !Object.hasOwn(payload, 'headers')) return [];
  const headers = payload['headers'];
  if (!isRecord(headers)) return [];
  const values: unknown[] = [];
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== 'authorization') continue;
    const value = headers[key];
    if (Array.isArray(value)) values.push(...value);
    else if (value !== undefined && value !== null) values.push(value);
  }
  return values;
}

/** An envelope made by {@link createRpcAuthEnvelope}: own `headers` with an `authorization` value, and own `data`. */
export function isRpcAuthEnvelope(payload: unknown): payload is RpcAuthEnvelope {
  return isRecord(payload) && Object.hasOwn(payload, 'data') && envelopeAuthorizationValues(payload).length > 0;
}
