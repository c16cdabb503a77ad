import { Module, type DynamicModule } from '@nestjs/common';
import {
  ClientsModule,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import {
  JwtAuthModule,
  TokenRelay,
  TokenRelayModule,
} from '@nest-sso/jwt-auth';
import { InventoryClient } from '@nest-sso/inventory-contracts';
import { HealthController } from './health.controller';
import { MeController } from './me.controller';
import type { OrdersConfig } from './orders.config';
import { OrdersController } from './orders.controller';
import { OrdersStore } from './orders.store';

const INVENTORY_TRANSPORT = Symbol('INVENTORY_TRANSPORT');

/** orders-api: every route needs a valid token for orders-api unless `@Public()`; tokens are relayed to inventory-service. */
@Module({})
export class OrdersModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [
        JwtAuthModule.forRoot({ ...config.auth, globalGuard: true }),
        TokenRelayModule,
        ClientsModule.register([
          {
            name: INVENTORY_TRANSPORT,
            transport: Transport.TCP,
            options: {
              host: config.inventory.host,
              port: config.inventory.port,
            },
          },
        ]),
      ],
      controllers: [HealthController, MeController, OrdersController],
      providers: [
        OrdersStore,
        {
          provide: InventoryClient,
          useFactory: (client: ClientProxy, relay: TokenRelay) =>
            new InventoryClient(client, relay),
          inject: [INVENTORY_TRANSPORT, TokenRelay],
        },
      ],
    };
  }
}
