import { Strategy } from 'passport';
import { AuthError, AuthErrorCode } from '../../errors/auth.errors';
import type { AuthPrincipal } from '../../jwt/principal';
import type { AccessTokenVerifier } from '../../verification/access-token-verifier';
import { attachHttpAccessToken } from '../auth-context';
import { toHttpException } from '../auth-error.mapper';
import type { TokenExtractor } from '../jwt-auth-options.interface';
import { extractHttpTokens } from '../transports/http.transport';
import { singleToken } from '../../bearer/bearer-credentials';

/** What {@link BearerTokenStrategy} verifies with. */
export interface BearerTokenStrategyOptions {
  /** The module's verifier. */
  readonly verifier: Pick<AccessTokenVerifier, 'verify'>;
  /** `WWW-Authenticate` realm. */
  readonly realm?: string;
  /** Extra token extractors besides the `Authorization` header. @default [] */
  readonly extractors?: readonly TokenExtractor[];
}

/** Receives the verified principal and answers with the user passport attaches (falsy refuses the request). */
export type BearerTokenVerifyCallback = (
  principal: AuthPrincipal,
  done: (error: unknown, user?: unknown, info?: unknown) => void,
) => void;

interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  error(error: unknown): void;
}

/**
 * A passport strategy that verifies bearer tokens with {@link AccessTokenVerifier} (every algorithm the core
 * supports, EdDSA included) and fails with the same `BearerAuthException` as `JwtAuthGuard`.
 */
export class BearerTokenStrategy extends Strategy {
  override name = 'jwt';

  constructor(
    private readonly strategyOptions: BearerTokenStrategyOptions,
    private readonly verifyCallback: BearerTokenVerifyCallback,
  ) {
    super();
  }

  // passport calls this on a per-request copy carrying success/error; it must not throw.
  override authenticate(request: object): void {
    void this.run(this as unknown as StrategyActions, request);
  }

  private async run(actions: StrategyActions, request: object): Promise<void> {
    const { verifier, realm, extractors = [] } = this.strategyOptions;
    let principal: AuthPrincipal;
    let token: string;
    try {
      const found = singleToken(extractHttpTokens(request, extractors));
      if (found === undefined) throw new AuthError(AuthErrorCode.TOKEN_MISSING, 'No bearer token was presented');
      token = found;
      principal = await verifier.verify(token);
    } catch (error) {
      actions.error(toHttpException(error, realm));
      return;
    }
    try {
      this.verifyCallback(principal, (error, user, info) => {
        if (error) return actions.error(error);
        if (!user)
          return actions.error(
            toHttpException(new AuthError(AuthErrorCode.VALIDATION_FAILED, 'The application refused the token'), realm),
          );
        attachHttpAccessToken(request, token);
        actions.success(user, info);
      });
    } catch (error) {
      actions.error(toHttpException(error, realm));
    }
  }
}
