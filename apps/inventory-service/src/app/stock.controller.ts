import { Controller, Logger } from '@nestjs/common';
import { MessagePattern, RpcException } from '@nestjs/microservices';
import { CurrentUser, logSafe, RpcData, Scopes, type AuthPrincipal } from '@nest-sso/jwt-auth';
import {
  INVENTORY_PATTERNS,
  INVENTORY_SCOPES,
  InventoryContractError,
  parseReserveStockRequest,
  parseStockQuery,
  type InventoryErrorPayload,
  type Reservation,
  type StockLevel,
} from '@nest-sso/inventory-contracts';
import { StockError, StockStore } from './stock.store';

function toRpcException(error: unknown): RpcException {
  let payload: InventoryErrorPayload;
  if (error instanceof InventoryContractError)
    payload = { status: 400, code: 'invalid_request', message: error.message };
  else if (error instanceof StockError)
    payload = {
      status: error.status,
      code: error.code,
      message: error.message,
    };
  else throw error;
  return new RpcException(payload);
}

/** The TCP message handlers; the global JwtAuthGuard has verified the relayed token and its scopes before they run. */
@Controller()
export class StockController {
  private readonly logger = new Logger(StockController.name);

  constructor(private readonly stock: StockStore) {}

  /** The stock level of one SKU. */
  @MessagePattern(INVENTORY_PATTERNS.getStock)
  @Scopes(INVENTORY_SCOPES.read)
  getStock(@RpcData() data: unknown): StockLevel {
    try {
      return this.stock.level(parseStockQuery(data).sku);
    } catch (error) {
      throw toRpcException(error);
    }
  }

  /** Reserve stock for the caller (a user's relayed token or a machine client's own token). */
  @MessagePattern(INVENTORY_PATTERNS.reserve)
  @Scopes(INVENTORY_SCOPES.reserve)
  reserve(@RpcData() data: unknown, @CurrentUser() caller: AuthPrincipal): Reservation {
    try {
      const request = parseReserveStockRequest(data);
      const reservation = this.stock.reserve(
        request,
        caller.subject ?? caller.clientId ?? 'unknown',
        caller.clientId ?? null,
      );
      this.logger.log(
        // Token claims and the SKU come from outside: escaped so none of them can forge a log line.
        `reserved ${reservation.quantity} x ${logSafe(reservation.sku)} for sub=${logSafe(reservation.reservedBy)} ` +
          `client_id=${logSafe(reservation.clientId)}`,
      );
      return reservation;
    } catch (error) {
      throw toRpcException(error);
    }
  }
}
