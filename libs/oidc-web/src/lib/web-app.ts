import 'reflect-metadata';
import { Logger, Module, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { LogoutTokenVerifier } from '@nest-sso/jwt-auth/core';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import { AuthController } from './auth.controller';
import { HealthController } from './health.controller';
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

// The 503 a person (HTML) or a script (JSON, when it prefers it) gets while sign-in variables are unset.
function sendSignInNotConfigured(
  request: Request,
  response: Response,
  web: WebSessionService,
  missing: readonly string[],
): void {
  const names = missing.join(' and ');
  const message = `This app cannot sign anyone in until ${names} ${missing.length > 1 ? 'are' : 'is'} set in its environment.`;
  response.setHeader('Cache-Control', 'no-store');
  if (request.accepts(['html', 'json']) === 'json') {
    response.status(503).json({ error: 'sign_in_not_configured', message, missing });
    return;
  }
  web.sendError(response, undefined, 503, 'Sign-in is not configured', message);
}

/**
 * Starts a server-rendered OpenID Connect web app on 127.0.0.1: the shared sign-in, sign-out and back-channel logout
 * routes plus the app's own pages, and `GET /health`. While {@link WebAppConfig.signInMissing} names a variable, every
 * route but `/health` answers 503 naming it (an HTML page, or JSON when preferred). Logout tokens are verified by the package's core `LogoutTokenVerifier` with the
 * provider's keys from its discovery document.
 */
export async function startWebApp(options: WebAppOptions): Promise<WebApp> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const store = new WebSessionStore(now);
  // Without an issuer there is nothing to verify logout tokens against: the endpoint answers 503 like every route.
  const logoutTokens =
    config.issuer === undefined
      ? undefined
      : new LogoutTokenVerifier({
          issuer: config.issuer,
          clientId: config.clientId,
          // identity signs a client's logout tokens like its ID tokens.
          algorithms: [config.idTokenAlg],
          discovery: true,
          allowInsecureHttp: config.allowInsecureHttp,
          now,
        });

  @Module({
    controllers: [HealthController, AuthController, ...options.controllers],
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
  if (config.signInMissing.length > 0) {
    const missing = config.signInMissing.join(' and ');
    new Logger(config.name).warn(`sign-in is not configured: every page but /health answers 503 until ${missing} set`);
    nest.use((request: Request, response: Response, next: NextFunction) => {
      if (request.path === '/health') return next();
      sendSignInNotConfigured(request, response, web, config.signInMissing);
    });
  }
  // The back-channel endpoint is called server to server and proves itself with its logout token.
  nest.use((request: Request, response: Response, next: NextFunction) => {
    if (request.path === '/backchannel-logout' || !isCrossOriginPost(request, web.baseUrl)) return next();
    web.sendError(response, undefined, 403, 'Request refused', 'This form was not sent from this application.');
  });
  try {
    await nest.listen(config.port, WEB_APP_HOST);
  } catch (error) {
    await nest.close();
    logoutTokens?.close();
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
      logoutTokens?.close();
    },
  };
}
