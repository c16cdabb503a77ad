import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IdentityConfig } from '../config/identity.config';
import { safeEqual } from '../crypto/opaque-token';
import { DirectoryService } from '../directory/directory.service';
import { IDENTITY_CONFIG } from '../identity.constants';
import { AuthorizationService } from '../oauth/authorization.service';
import { IssuerService } from '../oauth/issuer.service';
import { cookieOptions, LOGIN_COOKIE, readCookie, SESSION_COOKIE } from './cookies';
import { renderLoginPage, renderMessagePage, renderSignedInPage, sendHtml, sendRedirect } from './html.page';
import { LOGIN_TTL_SECONDS, LoginTransactionStore } from './login-transaction.store';
import { SessionEndingService } from './session-ending.service';
import { SsoSessionStore } from './sso-session.store';

function field(body: unknown, name: string, maxLength: number): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length <= maxLength ? value : '';
}

/** The server-rendered login page (`GET /login`, `POST /login`); `GET /login` with a session says who is signed in. */
@Controller()
export class LoginController {
  private readonly logger = new Logger(LoginController.name);

  constructor(
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    private readonly directory: DirectoryService,
    private readonly authorization: AuthorizationService,
    private readonly sessions: SsoSessionStore,
    private readonly logins: LoginTransactionStore,
    private readonly issuer: IssuerService,
    private readonly ending: SessionEndingService,
  ) {}

  /** Shows the login form for a parked authorization request (`?request=`), or a plain sign-in. */
  @Get('login')
  show(@Req() request: Request, @Res() response: Response): void {
    const requestId = typeof request.query.request === 'string' ? request.query.request : undefined;
    const pending = this.authorization.peek(requestId);
    if (requestId !== undefined && !pending) {
      return sendHtml(
        response,
        400,
        renderMessagePage('Sign-in expired', 'Return to the application and start again.'),
      );
    }
    const session = this.sessions.find(readCookie(request, SESSION_COOKIE));
    const resumed = session && this.authorization.resume(requestId);
    if (session && resumed) return sendRedirect(response, 302, this.authorization.approve(resumed, session));
    if (session && requestId === undefined)
      return sendHtml(response, 200, renderSignedInPage(session.name, session.csrfToken));
    const { cookie, transaction } = this.logins.start(requestId);
    response.cookie(LOGIN_COOKIE, cookie, cookieOptions(this.issuer.issuer, LOGIN_TTL_SECONDS));
    sendHtml(response, 200, renderLoginPage({ csrfToken: transaction.csrfToken, clientName: pending?.clientName }));
  }

  /** Checks the CSRF token and the credentials, starts the SSO session and resumes the authorization request. */
  @Post('login')
  async submit(@Req() request: Request, @Res() response: Response): Promise<void> {
    const loginCookie = readCookie(request, LOGIN_COOKIE);
    const transaction = this.logins.find(loginCookie);
    if (!transaction) {
      return sendHtml(
        response,
        400,
        renderMessagePage('Sign-in expired', 'The sign-in form expired. Go back and try again.'),
      );
    }
    if (!safeEqual(field(request.body, 'csrf_token', 256), transaction.csrfToken)) {
      this.logger.warn('login refused: CSRF token mismatch');
      return sendHtml(
        response,
        403,
        renderMessagePage('Request refused', 'The form could not be verified. Reload it and try again.'),
      );
    }
    const username = field(request.body, 'username', 64);
    const user = await this.directory.authenticateUser(username, field(request.body, 'password', 1024));
    if (!user) {
      // The attempted username is not logged: people type passwords into the wrong field.
      this.logger.warn('login failed: invalid username or password');
      const pending = this.authorization.peek(transaction.requestId);
      const page = renderLoginPage({
        csrfToken: transaction.csrfToken,
        clientName: pending?.clientName,
        username,
        error: 'Invalid username or password.',
      });
      return sendHtml(response, 401, page);
    }
    this.logins.finish(loginCookie);
    response.clearCookie(LOGIN_COOKIE, { path: '/' });
    // A new session id at every login: an id planted before authentication is never promoted (session fixation).
    // A session replaced by this login ends as on logout: its refresh tokens are revoked and its clients are told.
    this.ending.end(readCookie(request, SESSION_COOKIE), 'replaced by a new login');
    const { id, session } = this.sessions.create(user);
    response.cookie(SESSION_COOKIE, id, cookieOptions(this.issuer.issuer, this.config.sessionTtlSeconds));
    this.logger.log(`login succeeded sub=${user.sub}`);
    const pending = this.authorization.resume(transaction.requestId);
    if (pending) return sendRedirect(response, 303, this.authorization.approve(pending, session));
    if (transaction.requestId !== undefined) {
      return sendHtml(
        response,
        400,
        renderMessagePage('Signed in', 'The application request expired. Return to it and try again.'),
      );
    }
    sendHtml(response, 200, renderSignedInPage(user.name, session.csrfToken));
  }
}
