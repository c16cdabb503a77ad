import { runService } from '@nest-sso/sso-config';
import { startOrdersApi } from './app/orders-app';
import { ordersConfigFromEnv } from './app/orders.config';

runService('orders-api', async () => {
  const service = await startOrdersApi(ordersConfigFromEnv(process.env));
  // A plain stdout line that scripts (the demo runner) wait for and parse.
  console.log(`orders-api listening on ${service.url}`);
  return service;
});
