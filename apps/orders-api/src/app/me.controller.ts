import { Controller, Get } from '@nestjs/common';
import { CurrentUser, type AuthPrincipal } from '@nest-sso/jwt-auth';

/** `GET /me`: who the token says the caller is (any valid token for orders-api, no scope needed). */
@Controller('me')
export class MeController {
  @Get()
  me(@CurrentUser() user: AuthPrincipal) {
    return {
      sub: user.subject ?? null,
      clientId: user.clientId ?? null,
      scopes: user.scopes,
      audience: user.audience,
      issuer: user.issuer,
      expiresAt: user.expiresAt,
    };
  }
}
