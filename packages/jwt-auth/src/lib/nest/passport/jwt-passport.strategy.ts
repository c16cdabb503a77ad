import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { AuthPrincipal } from '../../jwt/principal';
import { AccessTokenVerifier } from '../../verification/access-token-verifier';
import { ResolvedJwtAuthOptions } from '../jwt-auth-options.resolver';
import { BearerTokenStrategy } from './bearer-token.strategy';

/**
 * The passport strategy `'jwt'` backed by the module's {@link AccessTokenVerifier}: `AuthGuard('jwt')` then answers
 * exactly like `JwtAuthGuard` (same 401 and `WWW-Authenticate`). Add it to a module's providers next to
 * `PassportModule`; pair `AuthGuard('jwt')` with `ScopesGuard` for `@Scopes`. Override `validate` to map the principal.
 * @example providers: [JwtPassportStrategy] ... @UseGuards(AuthGuard('jwt'), ScopesGuard)
 */
@Injectable()
export class JwtPassportStrategy extends PassportStrategy(BearerTokenStrategy, 'jwt') {
  constructor(
    @Inject(AccessTokenVerifier) verifier: AccessTokenVerifier,
    @Inject(ResolvedJwtAuthOptions) options: ResolvedJwtAuthOptions,
  ) {
    super({ verifier, realm: options.realm, extractors: options.extractors });
  }

  /** The user passport attaches to `request.user`; the verified principal by default. */
  validate(principal: AuthPrincipal): unknown {
    return principal;
  }
}
