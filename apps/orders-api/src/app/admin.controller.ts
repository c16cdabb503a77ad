import { Controller, Get } from '@nestjs/common';
import { RelayAccessToken, Scopes } from '@nest-sso/jwt-auth';
import { INVENTORY_SCOPES, InventoryClient, type StockLevel } from '@nest-sso/inventory-contracts';
import { inventoryErrorToHttp } from './inventory-error.mapper';

/** The SKUs the admin view lists. */
const ADMIN_SKUS = ['SKU-1', 'SKU-2', 'SKU-3'];

/** Administrator views (the admin-console web app): `inventory:admin`, then inventory-service with the relayed token. */
@Controller('admin')
@Scopes('inventory:admin')
export class AdminController {
  constructor(private readonly inventory: InventoryClient) {}

  /** Stock levels of every SKU, read from inventory-service (which itself requires `inventory:read`). */
  @Get('inventory')
  // The relay is per route since w-perf (TokenRelayModule interceptor: 'per-route'); this route relays too.
  @RelayAccessToken()
  async inventoryLevels(): Promise<{ stock: StockLevel[] }> {
    try {
      return { stock: await Promise.all(ADMIN_SKUS.map((sku) => this.inventory.getStock({ sku }))) };
    } catch (error) {
      throw inventoryErrorToHttp(error, INVENTORY_SCOPES.read);
    }
  }
}
