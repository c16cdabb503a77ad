import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LOOPBACK_HOST } from '@nest-sso/sso-config';
import type { OrdersConfig } from './orders.config';
import { OrdersModule } from './orders.module';

/** A running orders-api. */
export interface OrdersApp {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The Nest application. */
  readonly nest: INestApplication;
  /** Stop listening and close the inventory connection. */
  close(): Promise<void>;
}

/** Start orders-api on 127.0.0.1, on Fastify (Nest's Express adapter costs about 6x more per request, see the README). */
export async function startOrdersApi(
  config: OrdersConfig,
  logger: false | LogLevel[] = ['log', 'warn', 'error'],
): Promise<OrdersApp> {
  const nest = await NestFactory.create<NestFastifyApplication>(OrdersModule.forRoot(config), new FastifyAdapter(), {
    logger,
    abortOnError: false,
    forceCloseConnections: true,
  });
  try {
    await nest.listen(config.port, LOOPBACK_HOST);
  } catch (error) {
    await nest.close();
    throw error;
  }
  const { port } = nest.getHttpServer().address() as AddressInfo;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    nest,
    close: () => nest.close(),
  };
}
