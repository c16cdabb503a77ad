import 'reflect-metadata';
import { Module, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { LogoutTokenVerifier } from '@nest-sso/jwt-auth/core';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import { AuthController } from './auth.controller';
import type { NavLink } from './pages';
import { RelyingParty } from './relying-party';
import { LOGOUT_TOKEN_VERIFIER, WEB_APP_CONFIG, WEB_APP_NAV, WEB_APP_NOW } from './web-app.constants';
import { WEB_APP_HOST, type WebAppConfig } from './web-app.config';
import { WebSessionService } from './web-session.service';
import { WebSessionStore } from './web-session.store';

/** What {@link startWebApp} needs. */
export interface WebAppOptions {
  /** Validated configuration. */
  readonly config: WebAppConfig;
  /** The app's own page controllers (they inject {@link WebSessionService}). */
  readonly controllers: readonly Type<unknown>[];
  /** Header links of the app's pages. */
  readonly nav: readonly NavLink[];
  /** Clock in ms since the epoch (tests move it to make access tokens near expiry). @default Date.now */
  readonly now?: () => number;
  /** Nest log levels, or `false` for silence. @default ['log', 'warn', 'error'] */
  readonly logger?: false | LogLevel[];
}

/** A running web app. */
export interface WebApp {
  /** Base URL it is reachable at. */
  readonly url: string;
  /** Sessions (tests inspect them). */
  readonly sessions: WebSessionStore;
  /** The Nest application. */
  readonly nest: NestExpressApplication;
  /** Stops the server. */
  close(): Promise<void>;
}

// Apps on one host are one site whatever their ports, so a SameSite=Lax cookie rides along on a form that a page of
// another origin of the site posts (the demo runs identity and both web apps on 127.0.0.1). A browser says where a
// POST comes from (Sec-Fetch-Site, Origin); clients that send neither are not browsers and carry no ambient cookie.
// Sec-Fetch-Site decides when present: the pages send `Referrer-Policy: no-referrer`, under which a browser posts the
// app's own forms with `Origin: null`.
function isCrossOriginPost(request: Request, baseUrl: string): boolean {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = request.headers.origin;
  return origin !== undefined && origin !== new URL(baseUrl).origin;
}

/**
 * Starts a server-rendered OpenID Connect web app on 127.0.0.1: the shared sign-in, sign-out and back-channel logout
 * routes plus the app's own pages. Logout tokens are verified by the package's core `LogoutTokenVerifier` with the
 * provider's keys from its discovery document.
 */
export async function startWebApp(options: WebAppOptions): Promise<WebApp> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const store = new WebSessionStore(now);
  const logoutTokens = new LogoutTokenVerifier({
    issuer: config.issuer,
    clientId: config.clientId,
    algorithms: ['RS256'],
    discovery: true,
    allowInsecureHttp: config.allowInsecureHttp,
    now,
  });

  @Module({
    controllers: [AuthController, ...options.controllers],
    providers: [
      { provide: WEB_APP_CONFIG, useValue: config },
      { provide: WEB_APP_NAV, useValue: options.nav },
      { provide: WEB_APP_NOW, useValue: now },
      { provide: WebSessionStore, useValue: store },
      { provide: RelyingParty, useValue: new RelyingParty(config) },
      { provide: LOGOUT_TOKEN_VERIFIER, useValue: logoutTokens },
      WebSessionService,
    ],
  })
  class WebAppModule {}

  const nest = await NestFactory.create<NestExpressApplication>(WebAppModule, {
    bodyParser: false,
    abortOnError: false,
    forceCloseConnections: true,
    logger: options.logger ?? ['log', 'warn', 'error'],
  });
  nest.disable('x-powered-by');
  nest.useBodyParser('urlencoded', { extended: false, limit: '16kb', parameterLimit: 20 });
  const web = nest.get(WebSessionService);
  // The back-channel endpoint is called server to server and proves itself with its logout token.
  nest.use((request: Request, response: Response, next: NextFunction) => {
    if (request.path === '/backchannel-logout' || !isCrossOriginPost(request, web.baseUrl)) return next();
    web.sendError(response, undefined, 403, 'Request refused', 'This form was not sent from this application.');
  });
  try {
    await nest.listen(config.port, WEB_APP_HOST);
  } catch (error) {
    await nest.close();
    logoutTokens.close();
    throw error;
  }
  const { port } = nest.getHttpServer().address() as AddressInfo;
  const url = `http://${WEB_APP_HOST}:${port}`;
  web.bindUrl(url);
  return {
    url,
    sessions: store,
    nest,
    close: async () => {
      await nest.close();
      logoutTokens.close();
    },
  };
}
