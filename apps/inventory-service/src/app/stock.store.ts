import { randomUUID } from 'node:crypto';
import type { Reservation, ReserveStockRequest, StockLevel } from '@nest-sso/inventory-contracts';

/** A reservation that could not be made, with the contract's error code. */
export class StockError extends Error {
  constructor(
    readonly status: 404 | 409,
    readonly code: 'unknown_sku' | 'insufficient_stock',
    message: string,
  ) {
    super(message);
  }
}

/** In-memory stock levels (a sample service: nothing survives a restart). */
export class StockStore {
  private readonly levels = new Map<string, { available: number; reserved: number }>();

  constructor(initial: Readonly<Record<string, number>>) {
    for (const [sku, available] of Object.entries(initial)) this.levels.set(sku, { available, reserved: 0 });
  }

  /** The stock level of `sku`; throws {@link StockError} 404 for an unknown SKU. */
  level(sku: string): StockLevel {
    const level = this.find(sku);
    return { sku, available: level.available, reserved: level.reserved };
  }

  /** Reserve units; throws {@link StockError} for an unknown SKU or too little stock. */
  reserve(request: ReserveStockRequest, reservedBy: string, clientId: string | null): Reservation {
    const level = this.find(request.sku);
    if (level.available < request.quantity) {
      throw new StockError(409, 'insufficient_stock', `only ${level.available} of ${request.sku} available`);
    }
    level.available -= request.quantity;
    level.reserved += request.quantity;
    return {
      reservationId: randomUUID(),
      sku: request.sku,
      quantity: request.quantity,
      remaining: level.available,
      reference: request.reference,
      reservedBy,
      clientId,
    };
  }

  private find(sku: string): { available: number; reserved: number } {
    const level = this.levels.get(sku);
    if (!level) throw new StockError(404, 'unknown_sku', `unknown sku ${sku}`);
    return level;
  }
}
