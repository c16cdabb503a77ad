import 'reflect-metadata';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { resolveTokenEndpoint } from '@nest-sso/sso-config';
import type { BillingConfig } from './billing.config';
import { BillingJob, type BillingRunResult } from './billing.job';
import { BillingModule } from './billing.module';

/** A started billing-worker. */
export interface BillingWorker {
  /** The token endpoint in use (configured or discovered). */
  readonly tokenEndpoint: string;
  /** Run one billing run. */
  runOnce(): Promise<BillingRunResult>;
  /** The Nest application context. */
  readonly nest: INestApplicationContext;
  /** Close the inventory connection. */
  close(): Promise<void>;
}

/** Resolve the token endpoint (discovery unless configured) and build the worker; no token is requested yet. */
export async function createBillingWorker(
  config: BillingConfig,
  logger: false | LogLevel[] = ['log', 'warn', 'error'],
): Promise<BillingWorker> {
  const tokenEndpoint = await resolveTokenEndpoint(config.credentials);
  const nest = await NestFactory.createApplicationContext(BillingModule.forRoot(config, tokenEndpoint), {
    logger,
    abortOnError: false,
  });
  const job = nest.get(BillingJob);
  return {
    tokenEndpoint,
    nest,
    runOnce: () => job.run({ sku: config.sku, quantity: config.quantity }),
    close: () => nest.close(),
  };
}
