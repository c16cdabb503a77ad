import 'reflect-metadata';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { hardenHttpApp } from '@nest-sso/sso-config';
import { Clock, systemClock } from './clock/clock';
import { IdentityConfig, IdentityConfigInput, LISTEN_HOST, resolveIdentityConfig } from './config/identity.config';
import { loadSeed } from './directory/seed';
import { IdentityModule } from './identity.module';
import { SigningKeyManager } from './keys/signing-key.manager';
import { SigningAlgorithm } from './keys/signing-algorithm';
import { SigningKeyRecord } from './keys/signing-key.store';
import { IssuerService } from './oauth/issuer.service';

/** Runtime options of {@link createIdentityApp} that are not configuration. */
export interface IdentityAppOptions {
  /** Time source for token lifetimes, code/session expiry and key rotation. @default systemClock */
  readonly clock?: Clock;
  /** Nest log levels, or `false` for silence. @default ['log', 'warn', 'error'] */
  readonly logger?: false | LogLevel[];
}

/** A running identity service. */
export interface IdentityApp {
  /** Base URL the server is reachable at, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Port actually bound. */
  readonly port: number;
  /** Issuer identifier in tokens and discovery (the configured ISSUER, else {@link url}). */
  readonly issuer: string;
  /** The validated configuration. */
  readonly config: IdentityConfig;
  /** The underlying Nest application. */
  readonly nest: NestExpressApplication;
  /** Rotates the signing keys of `alg` (all algorithms when omitted) and returns every key's state. */
  rotateKeys(alg?: SigningAlgorithm): Promise<SigningKeyRecord[]>;
  /** State of every signing key, without key material. */
  keyStates(): SigningKeyRecord[];
  /** Stops the rotation timer and the HTTP server. */
  close(): Promise<void>;
}

const BODY_LIMIT = '16kb';

// Body parser failures (malformed encoding, too large) otherwise reach Express's default HTML error page.
function bodyErrorHandler(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  if (!error) return next();
  const status = (error as { status?: number }).status;
  response
    .status(typeof status === 'number' && status >= 400 && status < 500 ? status : 400)
    .setHeader('Cache-Control', 'no-store')
    .json({ error: 'invalid_request', error_description: 'the request body could not be parsed' });
}

function bindLoopback(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, LISTEN_HOST, () => resolve(server));
  });
}

/**
 * Starts the identity service on 127.0.0.1 and resolves once it accepts connections.
 * Throws `IdentityConfigError`, `SeedError` or `SigningKeyStoreError` with a message naming the fix.
 * @example
 * const identity = await createIdentityApp({ port: 0, dataDir: tmpDir }, { logger: false });
 * // ... fetch(`${identity.url}/.well-known/jwks.json`) ...
 * await identity.close();
 */
export async function createIdentityApp(
  input: IdentityConfigInput = {},
  options: IdentityAppOptions = {},
): Promise<IdentityApp> {
  let config = resolveIdentityConfig(input);
  const directory = await loadSeed(config.seedFile, config.seedVariables);
  const clock = options.clock ?? systemClock;
  // The issuer goes into the module's options (the userinfo guard needs it at boot), so a port-0 server binds its
  // socket first and hands it to the HTTP server below, instead of guessing a free port and racing for it.
  let reserved: Server | undefined;
  if (config.issuer === undefined) {
    reserved = await bindLoopback(config.port);
    const { port } = reserved.address() as AddressInfo;
    config = { ...config, issuer: `http://${LISTEN_HOST}:${port}` };
  }
  const nest = await NestFactory.create<NestExpressApplication>(IdentityModule.forRoot({ config, directory, clock }), {
    bodyParser: false,
    abortOnError: false,
    forceCloseConnections: true,
    logger: options.logger ?? ['log', 'warn', 'error'],
  });
  hardenHttpApp(nest);
  // Only forms are accepted (token and login endpoints); extended:false keeps qs from building nested objects.
  nest.useBodyParser('urlencoded', { extended: false, limit: BODY_LIMIT, parameterLimit: 50 });
  nest.use(bodyErrorHandler);
  try {
    if (reserved) {
      await nest.init();
      const handle = reserved;
      await new Promise<void>((resolve, reject) => {
        const server = nest.getHttpServer();
        server.once('error', reject);
        server.listen(handle, () => resolve());
      });
    } else {
      await nest.listen(config.port, LISTEN_HOST);
    }
  } catch (error) {
    await nest.close();
    reserved?.close();
    throw error;
  }
  const { port } = nest.getHttpServer().address() as AddressInfo;
  const url = `http://${LISTEN_HOST}:${port}`;
  const issuerService = nest.get(IssuerService);
  issuerService.bindDefault(url);
  const keys = nest.get(SigningKeyManager);
  return {
    url,
    port,
    issuer: issuerService.issuer,
    config,
    nest,
    rotateKeys: (alg) => keys.rotate(alg),
    keyStates: () => keys.describe(),
    close: () => nest.close(),
  };
}
