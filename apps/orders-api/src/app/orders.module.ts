import { Module, type DynamicModule } from '@nestjs/common';
import { JwtAuthModule } from '@nest-sso/jwt-auth';
import { InventoryClientModule } from '@nest-sso/inventory-contracts';
import { OPERATIONS } from '@nest-sso/sso-config';
import { AdminController } from './admin.controller';
import { HealthController } from './health.controller';
import { MeController } from './me.controller';
import type { OrdersConfig } from './orders.config';
import { OrdersController } from './orders.controller';
import { OrdersStore } from './orders.store';

/**
 * orders-api: every route needs a valid token for orders-api unless `@Public()`. The routes that call inventory-service
 * relay the caller's token explicitly (`@AccessToken()`): no TokenRelayModule, so no AsyncLocalStorage, whose async
 * hooks cost every request on Node 20 (decision 025).
 */
@Module({})
export class OrdersModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [
        JwtAuthModule.forRoot({ ...config.auth, globalGuard: true }),
        // Without inventory settings orders-api still starts: the inventory routes then answer 503.
        ...(config.inventory ? [InventoryClientModule.register(config.inventory)] : []),
        ...OPERATIONS.imports,
      ],
      controllers: [HealthController, MeController, OrdersController, AdminController, ...OPERATIONS.controllers],
      providers: [OrdersStore, ...OPERATIONS.providers],
    };
  }
}
