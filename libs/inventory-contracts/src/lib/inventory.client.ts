import type { TokenRelay, RelayClient } from '@nest-sso/jwt-auth';
import { firstValueFrom, timeout } from 'rxjs';
import {
  INVENTORY_PATTERNS,
  type Reservation,
  type ReserveStockRequest,
  type StockLevel,
  type StockQuery,
} from './inventory.contracts';

/**
 * Why a call to inventory-service failed: its own answer (401/403 from its guard, 400/404/409 business errors),
 * 503 `inventory_unavailable` when it cannot be reached, 504 `inventory_timeout` when it does not answer in time,
 * 502 `inventory_error` for anything else.
 */
export class InventoryCallError extends Error {
  override readonly name = 'InventoryCallError';

  constructor(
    /** HTTP-equivalent status. */
    readonly status: number,
    /** Stable code: a jwt-auth code (`token_expired`, `insufficient_scope`, ...), an inventory code, or one of the above. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** Normalise whatever a `ClientProxy` call rejected with. */
  static from(error: unknown): InventoryCallError {
    if (error instanceof InventoryCallError) return error;
    if (typeof error === 'object' && error !== null) {
      const { status, code, message, name } = error as Record<string, unknown>;
      if (name === 'TimeoutError')
        return new InventoryCallError(504, 'inventory_timeout', 'inventory-service did not answer in time');
      if (typeof status === 'number' && status >= 400 && status < 500 && typeof code === 'string') {
        return new InventoryCallError(status, code, typeof message === 'string' ? message : code);
      }
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE') {
        return new InventoryCallError(503, 'inventory_unavailable', 'inventory-service is not reachable');
      }
    }
    return new InventoryCallError(502, 'inventory_error', 'inventory-service failed to answer');
  }
}

/** Options of {@link InventoryClient}. */
export interface InventoryClientOptions {
  /** Deadline of one call in ms. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Typed calls to inventory-service over a `ClientProxy`, each carrying a bearer token through {@link TokenRelay}:
 * pass the token, or omit it to relay the current call's token (`TokenRelayModule`). Rejects with
 * {@link InventoryCallError}.
 * @example await inventory.reserve({ sku: 'SKU-1', quantity: 1, reference: orderId }); // relays the caller's token
 */
export class InventoryClient {
  private readonly timeoutMs: number;

  constructor(
    private readonly client: RelayClient,
    private readonly relay: TokenRelay,
    options: InventoryClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The stock level of a SKU (`inventory:read`). */
  getStock(query: StockQuery, token?: string): Promise<StockLevel> {
    return this.call<StockLevel>(INVENTORY_PATTERNS.getStock, query, token);
  }

  /** Reserve stock (`inventory:reserve`). */
  reserve(request: ReserveStockRequest, token?: string): Promise<Reservation> {
    return this.call<Reservation>(INVENTORY_PATTERNS.reserve, request, token);
  }

  private async call<T>(pattern: string, data: unknown, token: string | undefined): Promise<T> {
    // Built before the first await, so the token is the one of the call that asked.
    const reply = this.relay.send<T>(this.client, pattern, data, token).pipe(timeout(this.timeoutMs));
    try {
      return await firstValueFrom(reply);
    } catch (error) {
      throw InventoryCallError.from(error);
    }
  }
}
