import 'reflect-metadata';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { addJwtBearerScheme, documentJwtAuth } from '@nest-sso/jwt-auth/swagger';
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

/** Path of the Swagger UI page; the OpenAPI document is at `${OPENAPI_UI_PATH}/openapi.json`. */
export const OPENAPI_UI_PATH = 'docs';

// Swagger UI's assets are served with @fastify/static on Fastify, which Nest loads or else exits the process.
function canServeSwaggerUi(nest: INestApplication): boolean {
  if (nest.getHttpAdapter().getType() !== 'fastify') return true;
  try {
    createRequire(join(process.cwd(), 'package.json')).resolve('@fastify/static');
    return true;
  } catch {
    return false;
  }
}

/**
 * Serve the OpenAPI document (bearer scheme and each route's scopes from `@Scopes`) and Swagger UI. They are served
 * by the HTTP adapter, outside the global guard: public. `SwaggerModule.setup` works on Express and Fastify; on
 * Fastify the UI needs `@fastify/static` installed, without it only the document is served.
 */
function serveOpenApi(nest: INestApplication): void {
  documentJwtAuth(nest);
  const config = addJwtBearerScheme(
    new DocumentBuilder()
      .setTitle('orders-api')
      .setDescription('Orders of the signed-in user; placing one reserves stock in inventory-service.')
      .setVersion('1'),
  ).build();
  SwaggerModule.setup(OPENAPI_UI_PATH, nest, () => SwaggerModule.createDocument(nest, config), {
    swaggerUiEnabled: canServeSwaggerUi(nest),
    jsonDocumentUrl: `${OPENAPI_UI_PATH}/openapi.json`,
    yamlDocumentUrl: `${OPENAPI_UI_PATH}/openapi.yaml`,
  });
}

/** Start orders-api (Express) on 127.0.0.1. */
export async function startOrdersApi(
  config: OrdersConfig,
  logger: false | LogLevel[] = ['log', 'warn', 'error'],
): Promise<OrdersApp> {
  const nest = await NestFactory.create(OrdersModule.forRoot(config), {
    logger,
    abortOnError: false,
    forceCloseConnections: true,
  });
  serveOpenApi(nest);
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
