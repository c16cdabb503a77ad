import { Module, type DynamicModule } from '@nestjs/common';
import { ClientsModule, Transport, type ClientProxy } from '@nestjs/microservices';
import { TokenRelay } from '@nest-sso/jwt-auth';
import { InventoryClient } from './inventory.client';

const INVENTORY_TRANSPORT = Symbol('INVENTORY_TRANSPORT');

/** Where inventory-service listens for TCP messages. */
export interface InventoryClientModuleOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * Provides {@link InventoryClient} over the TCP transport. Every message carries the current call's token (or the
 * one passed explicitly) in the jwt-auth RPC envelope, so inventory-service verifies the caller itself.
 */
@Module({})
export class InventoryClientModule {
  static register({ host, port }: InventoryClientModuleOptions): DynamicModule {
    return {
      module: InventoryClientModule,
      imports: [
        ClientsModule.register([{ name: INVENTORY_TRANSPORT, transport: Transport.TCP, options: { host, port } }]),
      ],
      providers: [
        {
          provide: InventoryClient,
          // TokenRelay holds no state of its own (it reads the current call's token), so a local instance suffices.
          useFactory: (client: ClientProxy) => new InventoryClient(client, new TokenRelay()),
          inject: [INVENTORY_TRANSPORT],
        },
      ],
      exports: [InventoryClient],
    };
  }
}
