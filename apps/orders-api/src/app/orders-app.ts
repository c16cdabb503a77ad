import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { addJwtBearerScheme, documentJwtAuth } from '@nest-sso/jwt-auth/swagger';
import { hardenHttpApp, LOOPBACK_HOST } from '@nest-sso/sso-config';
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

// swagger-ui-dist (a dependency of @nestjs/swagger) holds the UI's files; it ships no types, so it is required plainly.
const swaggerUiDistPath = require('swagger-ui-dist/absolute-path.js') as () => string;

// The page, as swagger-ui-dist's own index.html, with the document inlined by swagger-ui-init.js.
function swaggerUiPage(base: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>orders-api</title>
  <link rel="stylesheet" type="text/css" href="${base}swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}swagger-ui-bundle.js"></script>
  <script src="${base}swagger-ui-standalone-preset.js"></script>
  <script src="${base}swagger-ui-init.js"></script>
</body>
</html>
`;
}

function swaggerUiInit(document: OpenAPIObject): string {
  // JSON inside a script: escape "<" so that no string in the document can close the script element.
  const spec = JSON.stringify(document).replace(/</g, '\\u003c');
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    spec: ${spec},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;
}

const SWAGGER_UI_ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

/**
 * Serve the OpenAPI document (bearer scheme and each route's scopes from `@Scopes`) and Swagger UI, outside the global
 * guard: public. SwaggerModule serves the JSON and YAML documents; the UI page and its three assets (from
 * swagger-ui-dist) are plain routes on the HTTP adapter, so neither Fastify nor Express needs a static-file plugin
 * (SwaggerModule's own UI would need `@fastify/static` on Fastify, which is not installed).
 */
function serveOpenApi(nest: INestApplication): void {
  documentJwtAuth(nest);
  const config = addJwtBearerScheme(
    new DocumentBuilder()
      .setTitle('orders-api')
      .setDescription('Orders of the signed-in user; placing one reserves stock in inventory-service.')
      .setVersion('1'),
  ).build();
  let document: OpenAPIObject | undefined;
  const getDocument = () => (document ??= SwaggerModule.createDocument(nest, config));
  SwaggerModule.setup(OPENAPI_UI_PATH, nest, getDocument, {
    ui: false,
    jsonDocumentUrl: `${OPENAPI_UI_PATH}/openapi.json`,
    yamlDocumentUrl: `${OPENAPI_UI_PATH}/openapi.yaml`,
  });
  const http = nest.getHttpAdapter();
  const base = `/${OPENAPI_UI_PATH}/`;
  const send = (response: unknown, type: string, body: string) => {
    http.setHeader(response, 'content-type', type);
    http.reply(response, body, 200);
  };
  const page = swaggerUiPage(base);
  http.get(`/${OPENAPI_UI_PATH}`, (_request: unknown, response: unknown) =>
    send(response, 'text/html; charset=utf-8', page),
  );
  http.get(`${base}swagger-ui-init.js`, (_request: unknown, response: unknown) =>
    send(response, 'application/javascript; charset=utf-8', swaggerUiInit(getDocument())),
  );
  for (const [name, type] of Object.entries(SWAGGER_UI_ASSETS)) {
    const body = readFileSync(join(swaggerUiDistPath(), name), 'utf8');
    http.get(`${base}${name}`, (_request: unknown, response: unknown) => send(response, type, body));
  }
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
  hardenHttpApp(nest);
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
