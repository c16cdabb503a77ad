/** Message patterns of inventory-service (TCP). Each message carries the caller's token in the RPC auth envelope. */
export const INVENTORY_PATTERNS = {
  /** Read the stock level of one SKU; needs {@link INVENTORY_SCOPES.read}. Payload {@link StockQuery}, reply {@link StockLevel}. */
  getStock: 'inventory.stock.get',
  /** Reserve units of one SKU; needs {@link INVENTORY_SCOPES.reserve}. Payload {@link ReserveStockRequest}, reply {@link Reservation}. */
  reserve: 'inventory.stock.reserve',
} as const;

/** Scopes inventory-service enforces. */
export const INVENTORY_SCOPES = {
  /** Read stock levels. */
  read: 'inventory:read',
  /** Reserve stock. */
  reserve: 'inventory:reserve',
} as const;

/** The audience inventory-service accepts (`aud` of tokens meant for it). */
export const INVENTORY_AUDIENCE = 'inventory-service';

/** Payload of {@link INVENTORY_PATTERNS.getStock}. */
export interface StockQuery {
  /** Stock keeping unit, e.g. `SKU-1`. */
  readonly sku: string;
}

/** Reply of {@link INVENTORY_PATTERNS.getStock}. */
export interface StockLevel {
  /** The SKU. */
  readonly sku: string;
  /** Units that can still be reserved. */
  readonly available: number;
  /** Units reserved so far. */
  readonly reserved: number;
}

/** Payload of {@link INVENTORY_PATTERNS.reserve}. */
export interface ReserveStockRequest {
  /** The SKU to reserve. */
  readonly sku: string;
  /** Units to reserve, 1 to {@link MAX_RESERVE_QUANTITY}. */
  readonly quantity: number;
  /** The caller's reference (an order id, a billing run), for the audit trail. */
  readonly reference: string;
}

/** Reply of {@link INVENTORY_PATTERNS.reserve}. */
export interface Reservation {
  /** Id of the reservation. */
  readonly reservationId: string;
  /** The SKU. */
  readonly sku: string;
  /** Units reserved. */
  readonly quantity: number;
  /** Units still available after this reservation. */
  readonly remaining: number;
  /** The caller's reference. */
  readonly reference: string;
  /** `sub` of the token that made the reservation (the user for a relayed token, the client for a machine token). */
  readonly reservedBy: string;
  /** `client_id` of that token. */
  readonly clientId: string | null;
}

/** Largest quantity one reservation may ask for. */
export const MAX_RESERVE_QUANTITY = 1000;

/** Codes of the business errors inventory-service answers with (authentication errors use the jwt-auth codes). */
export type InventoryErrorCode = 'invalid_request' | 'unknown_sku' | 'insufficient_stock';

/** The `RpcException` error object of a business error; a `ClientProxy` caller's call rejects with it. */
export interface InventoryErrorPayload {
  /** HTTP-equivalent status. */
  readonly status: 400 | 404 | 409;
  /** Stable code. */
  readonly code: InventoryErrorCode;
  /** What went wrong. */
  readonly message: string;
}

/** A payload that does not match the contract; inventory-service answers it with 400 `invalid_request`. */
export class InventoryContractError extends Error {
  override readonly name = 'InventoryContractError';
}

const SKU = /^[A-Z0-9][A-Z0-9-]{0,31}$/;
const REFERENCE = /^[\x21-\x7e]{1,64}$/;

function record(data: unknown): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new InventoryContractError('the payload must be an object');
  return data as Record<string, unknown>;
}

function sku(value: unknown): string {
  if (typeof value !== 'string' || !SKU.test(value))
    throw new InventoryContractError('sku must be 1-32 characters of A-Z, 0-9 and "-"');
  return value;
}

/** Validate a {@link StockQuery}; throws {@link InventoryContractError}. */
export function parseStockQuery(data: unknown): StockQuery {
  return { sku: sku(record(data)['sku']) };
}

/** Validate a {@link ReserveStockRequest}; throws {@link InventoryContractError}. */
export function parseReserveStockRequest(data: unknown): ReserveStockRequest {
  const input = record(data);
  const quantity = input['quantity'];
  if (
    typeof quantity !== 'number' ||
    !Number.isSafeInteger(quantity) ||
    quantity < 1 ||
    quantity > MAX_RESERVE_QUANTITY
  ) {
    throw new InventoryContractError(`quantity must be an integer from 1 to ${MAX_RESERVE_QUANTITY}`);
  }
  const reference = input['reference'];
  if (typeof reference !== 'string' || !REFERENCE.test(reference)) {
    throw new InventoryContractError('reference must be 1-64 printable ASCII characters without spaces');
  }
  return { sku: sku(input['sku']), quantity, reference };
}
