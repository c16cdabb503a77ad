import { Controller, Get, Header, Post, UseGuards } from '@nestjs/common';
import { CurrentUser, JwtAuthGuard, Scopes, type AuthPrincipal } from '@nest-sso/jwt-auth';
import { DirectoryService } from '../directory/directory.service';

/**
 * `GET|POST /userinfo` (OIDC Core 5.3), guarded by the package's own `JwtAuthGuard`: the access token is verified
 * offline against this service's keys (strict `at+jwt`), and must carry the `openid` scope.
 */
@Controller()
@UseGuards(JwtAuthGuard)
@Scopes('openid')
export class UserinfoController {
  constructor(private readonly directory: DirectoryService) {}

  /** Claims about the token's subject: `sub` always; `name` and `preferred_username` with the `profile` scope. */
  @Get('userinfo')
  @Header('Cache-Control', 'no-store')
  get(@CurrentUser() principal: AuthPrincipal): Record<string, string> {
    return this.claims(principal);
  }

  /** The same, for clients that send the token in a POST (OIDC Core 5.3.1). */
  @Post('userinfo')
  @Header('Cache-Control', 'no-store')
  post(@CurrentUser() principal: AuthPrincipal): Record<string, string> {
    return this.claims(principal);
  }

  private claims(principal: AuthPrincipal): Record<string, string> {
    const sub = principal.subject as string;
    const user = this.directory.findUserBySub(sub);
    if (!user || !principal.scopes.includes('profile')) return { sub };
    return { sub, name: user.name, preferred_username: user.username };
  }
}
