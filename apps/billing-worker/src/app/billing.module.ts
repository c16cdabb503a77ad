import { Module, type DynamicModule } from '@nestjs/common';
import {
  ClientsModule,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { ClientCredentialsModule, TokenRelay } from '@nest-sso/jwt-auth';
import {
  INVENTORY_AUDIENCE,
  INVENTORY_SCOPES,
  InventoryClient,
} from '@nest-sso/inventory-contracts';
import type { BillingConfig } from './billing.config';
import { BillingJob } from './billing.job';

const INVENTORY_TRANSPORT = Symbol('INVENTORY_TRANSPORT');

/** billing-worker: a client-credentials token provider, the inventory TCP client and the billing job. */
@Module({})
export class BillingModule {
  static forRoot(config: BillingConfig, tokenEndpoint: string): DynamicModule {
    const { clientId, clientSecret, allowInsecureHttp } = config.credentials;
    return {
      module: BillingModule,
      imports: [
        ClientCredentialsModule.forRoot({
          tokenEndpoint,
          clientId,
          clientSecret,
          scope: [INVENTORY_SCOPES.read, INVENTORY_SCOPES.reserve],
          resource: INVENTORY_AUDIENCE,
          allowInsecureHttp,
        }),
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
      providers: [
        TokenRelay,
        {
          provide: InventoryClient,
          useFactory: (client: ClientProxy, relay: TokenRelay) =>
            new InventoryClient(client, relay),
          inject: [INVENTORY_TRANSPORT, TokenRelay],
        },
        BillingJob,
      ],
      exports: [BillingJob],
    };
  }
}
