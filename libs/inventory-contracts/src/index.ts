export * from './lib/inventory.contracts';
export { InventoryCallError, InventoryClient, type InventoryClientOptions } from './lib/inventory.client';
export { InventoryClientModule, type InventoryClientModuleOptions } from './lib/inventory-client.module';
