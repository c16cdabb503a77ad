import { Controller, Get, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { AuthError, LogoutTokenVerifier } from '@nest-sso/jwt-auth/core';
import type { Request, Response } from 'express';
import { GrantRefusedError, ProviderUnavailableError, RelyingParty } from './relying-party';
import { renderPage, sendHtml, sendRedirect } from './pages';
import { LOGOUT_TOKEN_VERIFIER, WEB_APP_NOW } from './web-app.constants';
import { readCookie, WebSessionService } from './web-session.service';

const LOGIN_TTL_SECONDS = 600;

/** A same-origin path to return to after sign-in; anything else (absolute or protocol-relative URLs) becomes `/`. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,512}$/.test(value) ? value : '/';
}

/**
 * Sign-in (`GET /login` -> provider -> `GET /callback`), sign-out (`POST /logout` -> provider's end-session endpoint
 * -> `GET /signed-out`) and the Back-Channel Logout endpoint (`POST /backchannel-logout`).
 */
@Controller()
export class AuthController {
  private readonly logger: Logger;

  constructor(
    private readonly web: WebSessionService,
    @Inject(LOGOUT_TOKEN_VERIFIER) private readonly logoutTokens: LogoutTokenVerifier | undefined,
    @Inject(WEB_APP_NOW) private readonly now: () => number,
  ) {
    this.logger = new Logger(web.config.name);
  }

  /** Starts a sign-in: a fresh PKCE verifier, state and nonce, kept server-side under a short-lived cookie. */
  @Get('login')
  async login(@Req() request: Request, @Res() response: Response): Promise<void> {
    const checks = RelyingParty.newChecks();
    let location: URL;
    try {
      location = await this.web.relyingParty.authorizationUrl(`${this.web.baseUrl}/callback`, checks);
    } catch (error) {
      return this.unavailable(response, error);
    }
    const id = this.web.store.startLogin({
      ...checks,
      returnTo: safeReturnPath(request.query['returnTo']),
      expiresAt: this.now() + LOGIN_TTL_SECONDS * 1000,
    });
    response.cookie(this.web.loginCookieName, id, this.web.cookieOptions(LOGIN_TTL_SECONDS));
    sendRedirect(response, location.href);
  }

  /** Completes the sign-in: openid-client checks state, `iss`, PKCE and the ID token (signature, `nonce`, ...). */
  @Get('callback')
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const transaction = this.web.store.takeLogin(readCookie(request, this.web.loginCookieName));
    response.clearCookie(this.web.loginCookieName, { path: '/' });
    if (!transaction) {
      return this.web.sendError(
        response,
        undefined,
        400,
        'Sign-in expired',
        'The sign-in took too long or was started elsewhere. Start again.',
      );
    }
    let tokens;
    try {
      tokens = await this.web.relyingParty.callback(new URL(request.originalUrl, this.web.baseUrl), transaction);
    } catch (error) {
      if (error instanceof GrantRefusedError) {
        this.logger.warn(`sign-in refused: ${error.message}`);
        return this.web.sendError(
          response,
          undefined,
          401,
          'Sign-in failed',
          'The identity service did not confirm your sign-in.',
        );
      }
      return this.unavailable(response, error);
    }
    const claims = tokens.claims ?? {};
    const sub = claims['sub'] as string;
    const info = await this.web.relyingParty.userinfo(tokens.accessToken, sub);
    const name = typeof info?.['name'] === 'string' ? info['name'] : sub;
    // A new session id at every sign-in; a session this browser held before is ended, never reused.
    this.web.store.destroy(readCookie(request, this.web.cookieName));
    const id = this.web.store.create({
      sub,
      name,
      sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
      idToken: tokens.idToken as string,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessTokenExpiresAt: this.now() + tokens.expiresIn * 1000,
      scopes: tokens.scope?.split(' ') ?? [],
      refreshCount: 0,
      expiresAt: this.now() + this.web.config.sessionTtlSeconds * 1000,
    });
    response.cookie(this.web.cookieName, id, this.web.cookieOptions(this.web.config.sessionTtlSeconds));
    this.logger.log(`signed in sub=${sub}`);
    sendRedirect(response, transaction.returnTo);
  }

  /** Ends the session here, then at the provider (RP-initiated logout), which signs the person out everywhere. */
  @Post('logout')
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = this.web.store.destroy(readCookie(request, this.web.cookieName));
    response.clearCookie(this.web.cookieName, { path: '/' });
    if (!session) return sendRedirect(response, '/signed-out', 303);
    this.logger.log(`signed out sub=${session.sub}`);
    const endSession = await this.web.relyingParty.endSessionUrl(session.idToken, `${this.web.baseUrl}/signed-out`);
    sendRedirect(response, endSession?.href ?? '/signed-out', 303);
  }

  /** Where the provider sends the browser back after logout. */
  @Get('signed-out')
  signedOut(@Req() request: Request, @Res() response: Response): void {
    const session = this.web.current(request);
    sendHtml(
      response,
      200,
      renderPage(
        this.web.frame(session),
        'Signed out',
        '<p>You are signed out.</p>\n<p><a href="/login">Sign in again</a></p>',
      ),
    );
  }

  /**
   * OpenID Connect Back-Channel Logout 1.0 section 2.5: the provider POSTs a logout token; a valid one ends every
   * session of its `sid` (or `sub`) and is answered 200, anything else 400. The token is never logged.
   */
  @Post('backchannel-logout')
  @HttpCode(200)
  async backchannelLogout(@Req() request: Request, @Res() response: Response): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    const token = (request.body as Record<string, unknown> | undefined)?.['logout_token'];
    try {
      if (typeof token !== 'string') throw new AuthError('token_missing', 'no logout_token in the form body');
      if (!this.logoutTokens) throw new AuthError('issuer_invalid', 'no issuer is configured to verify logout tokens');
      const logout = await this.logoutTokens.verify(token);
      const ended = this.web.store.destroyMatching(logout.sessionId, logout.subject);
      this.logger.log(
        `back-channel logout sid=${logout.sessionId ? 'yes' : 'no'} sub=${logout.subject} ended ${ended} session(s)`,
      );
      response.status(200).end();
    } catch (error) {
      const authError = AuthError.from(error);
      this.logger.warn(`back-channel logout refused: ${authError.code} (${authError.message})`);
      response.status(400).json({ error: 'invalid_request', error_description: authError.message });
    }
  }

  private unavailable(response: Response, error: unknown): void {
    this.logger.warn(
      `identity unavailable: ${error instanceof ProviderUnavailableError ? error.message : (error as Error)?.message}`,
    );
    this.web.sendError(
      response,
      undefined,
      503,
      'Identity is unavailable',
      'The identity service is not answering. Try again in a moment.',
    );
  }
}
