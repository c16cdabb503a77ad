import { Module, type DynamicModule } from '@nestjs/common';
import { JwtAuthModule } from '@nest-sso/jwt-auth';
import { OPERATIONS } from '@nest-sso/sso-config';
import { HealthController } from './health.controller';
import type { InventoryConfig } from './inventory.config';
import { StockController } from './stock.controller';
import { StockStore } from './stock.store';

/** inventory-service: every HTTP route and TCP message is authenticated by the global JwtAuthGuard unless `@Public()`. */
@Module({})
export class InventoryModule {
  static forRoot(config: InventoryConfig): DynamicModule {
    return {
      module: InventoryModule,
      imports: [JwtAuthModule.forRoot({ ...config.auth, globalGuard: true }), ...OPERATIONS.imports],
      controllers: [HealthController, StockController, ...OPERATIONS.controllers],
      providers: [{ provide: StockStore, useValue: new StockStore(config.stock) }, ...OPERATIONS.providers],
    };
  }
}
