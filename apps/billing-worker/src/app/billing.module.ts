import { Module, type DynamicModule } from '@nestjs/common';
import { ClientCredentialsModule } from '@nest-sso/jwt-auth';
import { INVENTORY_AUDIENCE, INVENTORY_SCOPES, InventoryClientModule } from '@nest-sso/inventory-contracts';
import type { BillingConfig } from './billing.config';
import { BillingJob } from './billing.job';

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
        InventoryClientModule.register(config.inventory),
      ],
      providers: [BillingJob],
      exports: [BillingJob],
    };
  }
}
