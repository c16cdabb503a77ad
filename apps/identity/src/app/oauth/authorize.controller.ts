import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { readCookie, SESSION_COOKIE } from '../session/cookies';
import { renderMessagePage, sendHtml, sendRedirect } from '../session/html.page';
import { SsoSessionStore } from '../session/sso-session.store';
import { AuthorizationService } from './authorization.service';

/** `GET /authorize` (RFC 6749 section 4.1.1): answers with a code at once when an SSO session exists, else sends the user to log in. */
@Controller()
export class AuthorizeController {
  constructor(
    private readonly authorization: AuthorizationService,
    private readonly sessions: SsoSessionStore,
  ) {}

  /** Validates the request, then redirects to the client with a code or to the login page. */
  @Get('authorize')
  authorize(@Req() request: Request, @Res() response: Response): void {
    const validation = this.authorization.validate(request.query);
    if (validation.kind === 'error-page') {
      return sendHtml(response, validation.status, renderMessagePage('Cannot continue', validation.message));
    }
    if (validation.kind === 'redirect') return sendRedirect(response, 302, validation.location);
    const session = this.sessions.find(readCookie(request, SESSION_COOKIE));
    if (session) return sendRedirect(response, 302, this.authorization.approve(validation.request, session));
    const requestId = this.authorization.park(validation.request);
    // Relative, so the redirect stays right behind a reverse proxy that mounts the issuer under a path.
    sendRedirect(response, 302, `login?request=${encodeURIComponent(requestId)}`);
  }
}
