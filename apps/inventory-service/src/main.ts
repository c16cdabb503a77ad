import { runService } from '@nest-sso/sso-config';
import { startInventoryService } from './app/inventory-app';
import { inventoryConfigFromEnv } from './app/inventory.config';

runService('inventory-service', async () => {
  const service = await startInventoryService(inventoryConfigFromEnv(process.env));
  // A plain stdout line that scripts (the demo runner) wait for and parse.
  console.log(`inventory-service listening on ${service.url} (tcp://127.0.0.1:${service.tcpPort})`);
  return service;
});
