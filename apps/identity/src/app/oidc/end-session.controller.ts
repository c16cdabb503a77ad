import { Controller, Get, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { AuthError, verifyCompactJws } from '@nest-sso/jwt-auth';
import type { Request, Response } from 'express';
import { Clock } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { randomToken, safeEqual, tokenDigest } from '../crypto/opaque-token';
import { RegisteredClient } from '../directory/directory';
import { DirectoryService } from '../directory/directory.service';
import { CLOCK } from '../identity.constants';
import { SigningKeyManager } from '../keys/signing-key.manager';
import { OAuthError } from '../oauth/oauth.errors';
import { IssuerService } from '../oauth/issuer.service';
import { RequestParams } from '../oauth/request-params';
import { readCookie, SESSION_COOKIE } from '../session/cookies';
import { escapeHtml, renderMessagePage, renderPage, sendHtml, sendRedirect } from '../session/html.page';
import { SessionEndingService } from '../session/session-ending.service';
import { SsoSession, SsoSessionStore } from '../session/sso-session.store';
import { SIGNING_ALGORITHMS } from '../keys/signing-algorithm';
import { SigningKeyManagerKeySource } from './signing-key.key-source';

/** Where to send the browser after logout, already checked against the client's registration. */
interface LogoutReturn {
  readonly uri: string;
  readonly state: string | undefined;
}

/** A logout the person still has to confirm (the request did not prove it came from their own client). */
interface PendingLogout {
  readonly sessionDigest: string;
  readonly back: LogoutReturn | undefined;
}

const CONFIRM_TTL_MS = 5 * 60_000;

/** `GET /logout`: the result of checking an RP-initiated logout request. */
type LogoutRequestCheck =
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'ok'; readonly hintSid: string | undefined; readonly back: LogoutReturn | undefined };

/**
 * OpenID Connect RP-Initiated Logout 1.0 (`end_session_endpoint`, `GET /logout`) and `POST /logout`. A request whose
 * `id_token_hint` names the browser's current session ends it at once; any other request that would end a session
 * asks the person first (so a link on another site cannot sign them out). `post_logout_redirect_uri` is honoured only
 * when registered for the client the hint (or `client_id`) names; otherwise an error page is shown, never a redirect.
 * Ending the session revokes the refresh tokens granted in it and starts back-channel logout for every client that used
 * it ({@link SessionEndingService}).
 */
@Controller()
export class EndSessionController {
  private readonly logger = new Logger(EndSessionController.name);
  private readonly pending: ExpiringMap<PendingLogout>;
  private readonly keySource: SigningKeyManagerKeySource;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly sessions: SsoSessionStore,
    private readonly issuer: IssuerService,
    private readonly ending: SessionEndingService,
    keys: SigningKeyManager,
  ) {
    this.pending = new ExpiringMap(clock, 10_000);
    this.keySource = new SigningKeyManagerKeySource(keys);
  }

  /** The end-session endpoint. */
  @Get('logout')
  async endSession(@Req() request: Request, @Res() response: Response): Promise<void> {
    const check = await this.check(request.query);
    if (check.kind === 'error') return sendHtml(response, 400, renderMessagePage('Cannot sign out', check.message));
    const cookie = readCookie(request, SESSION_COOKIE);
    const session = this.sessions.find(cookie);
    if (!session) {
      if (check.back) return sendRedirect(response, 302, this.returnLocation(check.back));
      return sendHtml(response, 200, renderMessagePage('Signed out', 'You are signed out.'));
    }
    if (check.hintSid !== undefined && check.hintSid === session.sid) {
      this.end(cookie, response);
      if (check.back) return sendRedirect(response, 302, this.returnLocation(check.back));
      return sendHtml(response, 200, renderMessagePage('Signed out', 'You are signed out.'));
    }
    const confirmation = randomToken(18);
    this.pending.set(
      confirmation,
      { sessionDigest: tokenDigest(cookie as string), back: check.back },
      this.clock.now() + CONFIRM_TTL_MS,
    );
    sendHtml(response, 200, renderConfirmPage(session, confirmation));
  }

  /**
   * Ends the session: from the confirmation page (`logout_request`), or the plain sign-out button of the signed-in page
   * (`csrf_token`, the session's own). Without either nothing ends: the cookie is SameSite=Lax and every port of this
   * host is the same site, so a form another local app's page posts would otherwise sign the person out.
   */
  @Post('logout')
  logout(@Req() request: Request, @Res() response: Response): void {
    const cookie = readCookie(request, SESSION_COOKIE);
    const body = request.body as Record<string, unknown> | undefined;
    const confirmation = body?.['logout_request'];
    let back: LogoutReturn | undefined;
    if (typeof confirmation !== 'string') {
      const session = this.sessions.find(cookie);
      const csrfToken = body?.['csrf_token'];
      if (session && !(typeof csrfToken === 'string' && safeEqual(csrfToken, session.csrfToken))) {
        this.logger.warn('sign-out refused: CSRF token mismatch');
        return sendHtml(
          response,
          403,
          renderMessagePage('Request refused', 'The sign-out form could not be verified. Reload it and try again.'),
        );
      }
    } else {
      const pending = this.pending.take(confirmation);
      // The confirmation is bound to the session it was shown for; the cookie is SameSite=Lax, so a cross-site form
      // post arrives without it and ends nothing.
      if (!pending || cookie === undefined || pending.sessionDigest !== tokenDigest(cookie)) {
        return sendHtml(response, 400, renderMessagePage('Cannot sign out', 'The sign-out request expired.'));
      }
      back = pending.back;
    }
    this.end(cookie, response);
    if (back) return sendRedirect(response, 303, this.returnLocation(back));
    sendHtml(response, 200, renderMessagePage('Signed out', 'You are signed out.'));
  }

  private end(cookie: string | undefined, response: Response): void {
    this.ending.end(cookie, 'logout');
    response.clearCookie(SESSION_COOKIE, { path: '/' });
  }

  private async check(query: unknown): Promise<LogoutRequestCheck> {
    let params: RequestParams;
    try {
      params = RequestParams.from(query);
      const hint = params.one('id_token_hint');
      const clientId = params.one('client_id');
      const redirectUri = params.one('post_logout_redirect_uri');
      const state = params.one('state');
      let client: RegisteredClient | undefined;
      let hintSid: string | undefined;
      if (hint !== undefined) {
        const claims = await this.verifyHint(hint);
        if (!claims) return { kind: 'error', message: 'The id_token_hint is not an ID token issued here.' };
        client = this.directory.findClient(claims.aud);
        // An ID token is signed with its client's registered algorithm; anything else is not one of ours.
        if (!client || claims.alg !== client.idTokenAlg)
          return { kind: 'error', message: 'The id_token_hint is not an ID token issued here.' };
        hintSid = claims.sid;
        if (clientId !== undefined && clientId !== claims.aud)
          return { kind: 'error', message: 'The client_id does not match the id_token_hint.' };
      } else if (clientId !== undefined) {
        client = this.directory.findClient(clientId);
      }
      if (redirectUri === undefined) return { kind: 'ok', hintSid, back: undefined };
      if (!client || !client.postLogoutRedirectUris.includes(redirectUri)) {
        return {
          kind: 'error',
          message: 'The post_logout_redirect_uri is not registered for this application.',
        };
      }
      return { kind: 'ok', hintSid, back: { uri: redirectUri, state } };
    } catch (error) {
      if (error instanceof OAuthError) return { kind: 'error', message: error.description };
      throw error;
    }
  }

  // OIDC RP-Initiated Logout 1.0 section 2: the hint proves which client and session; an expired one still does.
  private async verifyHint(hint: string): Promise<{ aud: string; sid: string | undefined; alg: unknown } | undefined> {
    try {
      const { header, payload } = await verifyCompactJws(hint, this.keySource, {
        algorithms: SIGNING_ALGORITHMS,
      });
      if (header['typ'] !== 'JWT') return undefined;
      const claims = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      if (claims['iss'] !== this.issuer.issuer || typeof claims['aud'] !== 'string') return undefined;
      return {
        aud: claims['aud'],
        sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined,
        alg: header['alg'],
      };
    } catch (error) {
      if (error instanceof AuthError || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  private returnLocation(back: LogoutReturn): string {
    const url = new URL(back.uri);
    if (back.state !== undefined) url.searchParams.append('state', back.state);
    return url.toString();
  }
}

function renderConfirmPage(session: SsoSession, confirmation: string): string {
  return renderPage(
    'Sign out?',
    `<p>You are signed in as <strong>${escapeHtml(session.name)}</strong>. Sign out of every application?</p>
<form method="post" action="logout">
<input type="hidden" name="logout_request" value="${escapeHtml(confirmation)}">
<button type="submit">Sign out</button>
</form>`,
  );
}
