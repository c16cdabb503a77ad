import 'reflect-metadata';
import type { AddressInfo, Server } from 'node:net';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { hardenHttpApp, LOOPBACK_HOST } from '@nest-sso/sso-config';
import type { InventoryConfig } from './inventory.config';
import { InventoryModule } from './inventory.module';

/** A running inventory-service. */
export interface InventoryApp {
  /** Base URL of the HTTP side (health). */
  readonly url: string;
  /** Port of the TCP microservice on 127.0.0.1. */
  readonly tcpPort: number;
  /** The Nest application. */
  readonly nest: INestApplication;
  /** Stop both listeners. */
  close(): Promise<void>;
}

/**
 * Start inventory-service on 127.0.0.1: the TCP microservice and the HTTP health endpoint, one global guard for both
 * (`inheritAppConfig`, without which Nest would not apply APP_GUARD to the message handlers).
 */
export async function startInventoryService(
  config: InventoryConfig,
  logger: false | LogLevel[] = ['log', 'warn', 'error'],
): Promise<InventoryApp> {
  const nest = await NestFactory.create(InventoryModule.forRoot(config), {
    logger,
    abortOnError: false,
    forceCloseConnections: true,
  });
  hardenHttpApp(nest);
  const microservice = nest.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.TCP,
      options: { host: LOOPBACK_HOST, port: config.tcpPort },
    },
    { inheritAppConfig: true },
  );
  try {
    await nest.startAllMicroservices();
    await nest.listen(config.httpPort, LOOPBACK_HOST);
  } catch (error) {
    await nest.close();
    throw error;
  }
  const { port } = nest.getHttpServer().address() as AddressInfo;
  const tcpPort = (microservice.unwrap<Server>().address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    tcpPort,
    nest,
    close: () => nest.close(),
  };
}
