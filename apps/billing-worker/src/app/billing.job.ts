import { Injectable, Logger } from '@nestjs/common';
import { ClientCredentialsTokenProvider } from '@nest-sso/jwt-auth';
import { InventoryCallError, InventoryClient, type Reservation, type StockLevel } from '@nest-sso/inventory-contracts';

/** Settings of one billing run. */
export interface BillingRunOptions {
  /** SKU to reserve. */
  readonly sku: string;
  /** Units to reserve. */
  readonly quantity: number;
}

/** What a billing run did. */
export interface BillingRunResult {
  /** The stock level read first (`inventory:read`). */
  readonly stock: StockLevel;
  /** The reservation made next (`inventory:reserve`). */
  readonly reservation: Reservation;
  /** True when inventory-service refused the cached token and a fresh one was fetched. */
  readonly tokenRenewed: boolean;
}

/** Billing-run options, injectable. */
export const BILLING_RUN_OPTIONS = Symbol('BILLING_RUN_OPTIONS');

/**
 * One billing run as a machine client: its own client-credentials token (cached by the provider until shortly
 * before it expires), then `inventory:read` and `inventory:reserve` calls to inventory-service over TCP.
 */
@Injectable()
export class BillingJob {
  private readonly logger = new Logger(BillingJob.name);
  private runs = 0;

  constructor(
    private readonly tokens: ClientCredentialsTokenProvider,
    private readonly inventory: InventoryClient,
  ) {}

  /** Run once; rejects with {@link InventoryCallError} or the token provider's `TokenRequestError`. */
  async run(options: BillingRunOptions): Promise<BillingRunResult> {
    this.runs += 1;
    const reference = `billing-${process.pid}-${this.runs}`;
    try {
      return {
        ...(await this.attempt(options, reference)),
        tokenRenewed: false,
      };
    } catch (error) {
      // A 401 can mean the cached token was revoked or its key withdrawn early: fetch a new one once, then give up.
      if (!(error instanceof InventoryCallError) || error.status !== 401) throw error;
      this.logger.warn(`inventory-service refused the cached token (${error.code}); fetching a new one`);
      this.tokens.invalidate();
      return {
        ...(await this.attempt(options, reference)),
        tokenRenewed: true,
      };
    }
  }

  private async attempt(
    options: BillingRunOptions,
    reference: string,
  ): Promise<{ stock: StockLevel; reservation: Reservation }> {
    const token = await this.tokens.getToken();
    const stock = await this.inventory.getStock({ sku: options.sku }, token);
    const reservation = await this.inventory.reserve(
      { sku: options.sku, quantity: options.quantity, reference },
      token,
    );
    return { stock, reservation };
  }
}
