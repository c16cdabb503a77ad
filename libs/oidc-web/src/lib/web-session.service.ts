import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { GrantRefusedError, ProviderUnavailableError, RelyingParty } from './relying-party';
import { renderErrorPage, sendHtml, sendRedirect, type NavLink, type PageFrame } from './pages';
import type { WebAppConfig } from './web-app.config';
import { WebSession, WebSessionStore } from './web-session.store';
import { WEB_APP_CONFIG, WEB_APP_NAV, WEB_APP_NOW } from './web-app.constants';

/** The outcome of calling a resource API with the person's access token. */
export type ApiResult =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly title: string; readonly message: string };

const API_TIMEOUT_MS = 5000;

/** Reads one cookie from the request header; the last occurrence wins, malformed encodings are ignored. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
    try {
      found = decodeURIComponent(part.slice(separator + 1).trim());
    } catch {
      continue;
    }
  }
  return found;
}

/**
 * The person's session in this app: the session cookie (httpOnly, SameSite=Lax, Secure when the app is served over
 * https, holding only a random id), tokens kept server-side, the access token refreshed when it nears expiry, and calls
 * to resource APIs with it.
 */
@Injectable()
export class WebSessionService {
  private readonly logger: Logger;
  private boundUrl: string | undefined;

  constructor(
    @Inject(WEB_APP_CONFIG) readonly config: WebAppConfig,
    @Inject(WEB_APP_NAV) private readonly nav: readonly NavLink[],
    @Inject(WEB_APP_NOW) private readonly now: () => number,
    readonly store: WebSessionStore,
    readonly relyingParty: RelyingParty,
  ) {
    this.logger = new Logger(config.name);
  }

  /** Name of the session cookie; per app, since browsers share cookies between ports of one host. */
  get cookieName(): string {
    return `${this.config.name.replace(/[^a-z0-9]/gi, '_')}_session`;
  }

  /** Name of the sign-in transaction cookie. */
  get loginCookieName(): string {
    return `${this.config.name.replace(/[^a-z0-9]/gi, '_')}_login`;
  }

  /** Sets the base URL once the server has bound its port (unless PUBLIC_URL is configured). */
  bindUrl(url: string): void {
    this.boundUrl ??= url;
  }

  /** The app's public base URL. */
  get baseUrl(): string {
    const url = this.config.publicUrl ?? this.boundUrl;
    if (!url) throw new Error('the public URL is not known before the server listens');
    return url;
  }

  /** Cookie attributes: HttpOnly, SameSite=Lax, Path=/, Secure when the app is served over https. */
  cookieOptions(maxAgeSeconds: number): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: this.baseUrl.startsWith('https:'),
      maxAge: maxAgeSeconds * 1000,
    };
  }

  /** The session of this request, if signed in. */
  current(request: Request): WebSession | undefined {
    return this.store.find(readCookie(request, this.cookieName));
  }

  /** The page frame for this request's session. */
  frame(session: WebSession | undefined): PageFrame {
    return { appTitle: this.config.title, nav: this.nav, signedInAs: session?.name };
  }

  /** Sends the error page. */
  sendError(response: Response, session: WebSession | undefined, status: number, title: string, message: string): void {
    sendHtml(response, status, renderErrorPage(this.frame(session), status, title, message));
  }

  /**
   * The session with an access token that does not expire within the refresh margin, refreshing it when needed.
   * Without a session, sends the browser to sign in (coming back to `returnTo`) and resolves `undefined`; when the
   * refresh is refused the session ends the same way; when identity is down it sends the 503 error page.
   */
  async requireSession(request: Request, response: Response, returnTo: string): Promise<WebSession | undefined> {
    const cookie = readCookie(request, this.cookieName);
    const session = this.store.find(cookie);
    if (!session) {
      sendRedirect(response, `/login?returnTo=${encodeURIComponent(returnTo)}`);
      return undefined;
    }
    if (session.accessTokenExpiresAt - this.config.refreshMarginSeconds * 1000 > this.now()) return session;
    if (!session.refreshToken) {
      this.store.destroy(cookie);
      sendRedirect(response, `/login?returnTo=${encodeURIComponent(returnTo)}`);
      return undefined;
    }
    try {
      await this.refreshOnce(session, session.refreshToken);
      return session;
    } catch (error) {
      if (error instanceof GrantRefusedError) {
        this.logger.warn(`refresh refused sub=${session.sub}: signing in again`);
        this.store.destroy(cookie);
        sendRedirect(response, `/login?returnTo=${encodeURIComponent(returnTo)}`);
        return undefined;
      }
      const reason = error instanceof ProviderUnavailableError ? error.message : 'unexpected error';
      this.logger.warn(`refresh failed sub=${session.sub}: ${reason}`);
      this.sendError(
        response,
        session,
        503,
        'Identity is unavailable',
        'Your sign-in could not be renewed because the identity service is not answering.',
      );
      return undefined;
    }
  }

  // Refresh tokens rotate on every use and a spent one revokes its whole family at identity, so two page loads of one
  // session that both find the token near expiry must share one refresh instead of racing with the same token.
  private readonly refreshes = new WeakMap<WebSession, Promise<void>>();

  private refreshOnce(session: WebSession, refreshToken: string): Promise<void> {
    let refresh = this.refreshes.get(session);
    if (!refresh) {
      refresh = this.relyingParty
        .refresh(refreshToken)
        .then((tokens) => {
          session.accessToken = tokens.accessToken;
          session.refreshToken = tokens.refreshToken;
          session.accessTokenExpiresAt = this.now() + tokens.expiresIn * 1000;
          if (tokens.scope !== undefined) session.scopes = tokens.scope.split(' ');
          session.refreshCount++;
          this.logger.log(`access token refreshed sub=${session.sub} (refresh #${session.refreshCount})`);
        })
        .finally(() => this.refreshes.delete(session));
      this.refreshes.set(session, refresh);
    }
    return refresh;
  }

  /** Calls `path` of orders-api (GET, or POST with a JSON body) with the person's access token; maps the answer for a page. */
  async callOrdersApi(
    session: WebSession,
    path: string,
    init: { method?: 'GET' | 'POST'; body?: unknown } = {},
  ): Promise<ApiResult> {
    if (!this.config.ordersApiUrl) {
      return { ok: false, status: 503, title: 'Not configured', message: 'ORDERS_API_URL is not set for this app.' };
    }
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.config.ordersApiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          authorization: `Bearer ${session.accessToken}`,
          accept: 'application/json',
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
    } catch {
      return { ok: false, status: 502, title: 'orders-api is unavailable', message: 'orders-api did not answer.' };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.status === 200 || response.status === 201) return { ok: true, body };
    if (response.status === 401) {
      return {
        ok: false,
        status: 401,
        title: 'Sign-in not accepted',
        message: 'orders-api did not accept your sign-in.',
      };
    }
    if (response.status === 403) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
      return {
        ok: false,
        status: 403,
        title: 'Not allowed',
        message: `You are signed in as ${session.name}, who is not allowed to do this${scope ? ` (needs the scope ${scope})` : ''}.`,
      };
    }
    const status = response.status >= 500 ? 502 : response.status;
    const detail = (body as { message?: unknown } | undefined)?.message;
    return {
      ok: false,
      status,
      title: 'Request failed',
      message: `orders-api answered HTTP ${response.status}${typeof detail === 'string' ? `: ${detail}` : ''}.`,
    };
  }
}
