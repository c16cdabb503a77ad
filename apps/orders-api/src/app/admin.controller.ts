import { Controller, Get, Optional } from '@nestjs/common';
import { AccessToken, Scopes } from '@nest-sso/jwt-auth';
import { INVENTORY_SCOPES, InventoryClient, type StockLevel } from '@nest-sso/inventory-contracts';
import { inventoryErrorToHttp, inventoryNotConfigured } from './inventory-error.mapper';

/** The SKUs the admin view lists. */
const ADMIN_SKUS = ['SKU-1', 'SKU-2', 'SKU-3'];

/** Administrator views (the admin-console web app): `inventory:admin`, then inventory-service with the relayed token. */
@Controller('admin')
@Scopes('inventory:admin')
export class AdminController {
  // Absent when orders-api runs without INVENTORY_PORT: the view then answers 503.
  constructor(@Optional() private readonly inventory?: InventoryClient) {}

  /** Stock levels of every SKU, read from inventory-service (which itself requires `inventory:read`). */
  @Get('inventory')
  async inventoryLevels(@AccessToken() token: string): Promise<{ stock: StockLevel[] }> {
    const inventory = this.inventory;
    if (inventory === undefined) throw inventoryNotConfigured();
    try {
      return { stock: await Promise.all(ADMIN_SKUS.map((sku) => inventory.getStock({ sku }, token))) };
    } catch (error) {
      throw inventoryErrorToHttp(error, INVENTORY_SCOPES.read);
    }
  }
}
