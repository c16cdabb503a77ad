import { Controller, Header, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import type { Request } from 'express';
import { OAuthErrorFilter } from './oauth-error.filter';
import { OAuthError } from './oauth.errors';
import { RequestParams } from './request-params';
import { TokenResponse, TokenService } from './token.service';

/** `POST /oauth/token` (RFC 6749 section 3.2). */
@Controller('oauth')
@UseFilters(OAuthErrorFilter)
export class TokenController {
  constructor(private readonly tokens: TokenService) {}

  /** Exchanges a grant for an access token; the body must be application/x-www-form-urlencoded. */
  @Post('token')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async token(@Req() request: Request): Promise<TokenResponse> {
    if (!request.is('application/x-www-form-urlencoded')) {
      throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    return this.tokens.exchange(RequestParams.from(request.body), request.headers.authorization);
  }
}
