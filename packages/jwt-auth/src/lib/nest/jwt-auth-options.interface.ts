import type { LoggerService } from '@nestjs/common';
import type { ClaimPath } from '../jwt/claim-requirements';
import type { IssuerOptions, VerifierOptions } from '../verification/verifier-options.interface';

/**
 * Reads a token from an HTTP request (Express or Fastify); passport-jwt `ExtractJwt.*` functions fit as they are.
 * @example ExtractJwt.fromUrlQueryParameter('access_token')
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- passport-jwt extractors are typed `(req: any)`.
export type TokenExtractor = (request: any) => string | null | undefined;

/**
 * Options of {@link JwtAuthModule}: the {@link VerifierOptions} plus a single-issuer shorthand and the Nest glue.
 * Either set `issuers`, or set `issuer`, `audience` and the other {@link IssuerOptions} fields at the top level.
 * @example JwtAuthModule.forRoot({ issuer: 'https://id.example.com', audience: 'orders-api' })
 */
export interface JwtAuthModuleOptions extends Omit<VerifierOptions, 'issuers'>, Partial<IssuerOptions> {
  /** The trusted issuers; leave unset when using the single-issuer shorthand. */
  readonly issuers?: readonly IssuerOptions[];
  /** The `realm` attribute of `WWW-Authenticate` challenges; omitted when unset. */
  readonly realm?: string;
  /**
   * Extra places to read a token from on HTTP, tried besides the `Authorization` header (which is always read).
   * Every hit counts as one presented token: a request that presents more than one is refused as `multiple_tokens`,
   * so do not add an extractor that reads the `Authorization` header again.
   * @default []
   */
  readonly extractors?: readonly TokenExtractor[];
  /**
   * Where `@Roles` / `@AnyRole` read roles: claim paths whose values (arrays of strings, or space-separated strings)
   * are joined. A dotted string or segments; `RolesClaims` has the usual ones (Keycloak realm and client roles, Auth0
   * `permissions`, Entra ID `roles`). Validated at boot.
   * @default ['roles']
   * @example rolesClaims: [RolesClaims.keycloakRealm, RolesClaims.keycloakClient('orders-api')]
   */
  readonly rolesClaims?: readonly ClaimPath[];
  /**
   * With `globalGuard: true` on Express or Fastify, refuse a guarded request without a valid token before its body is
   * read or parsed (Express: body parsers run only after `JwtAuthGuard` lets the request through; Fastify: an
   * `onRequest` check). Token extractors then never see a parsed body. On Fastify the same hook also verifies the token
   * of a guarded request without a body: a refused token is answered there (the guard's status, `WWW-Authenticate` and
   * body), before Nest's guards, interceptors and exception filters, and an accepted one is handed to `JwtAuthGuard`,
   * which does not verify it again (decision 023). Turn off if another global guard or middleware must read the body
   * before authentication, or if every refusal must pass through Nest (an exception filter that rewrites 401s).
   * @default true
   */
  readonly authenticateBeforeBody?: boolean;
  /** Where rejections (see `rejectionLogLevel`) and key-source state changes are logged. @default new Logger('JwtAuth') */
  readonly logger?: LoggerService;
  /**
   * The level at which each refused request is logged (code, and `iss` / `kid` / `alg` where the token had them; never
   * the token). Off by default: under Nest's default logger every level prints, and a line per 401 floods a
   * production log (decision 011).
   * @default 'off'
   */
  readonly rejectionLogLevel?: RejectionLogLevel;
}

/** Where {@link JwtAuthModuleOptions.rejectionLogLevel} sends a refused request's log line. */
export type RejectionLogLevel = 'off' | 'verbose' | 'debug' | 'log' | 'warn';

/** Options that shape the module definition itself, accepted by `forRoot` and next to `useFactory` in `forRootAsync`. */
export interface JwtAuthModuleExtras {
  /** Register the module globally, so feature modules need not import it. @default false */
  readonly isGlobal?: boolean;
  /**
   * Register {@link JwtAuthGuard} as `APP_GUARD`: every route and message handler is protected unless `@Public()`.
   * In a hybrid app Nest applies `APP_GUARD` to message handlers only with `connectMicroservice(options, { inheritAppConfig: true })`.
   * @default false
   */
  readonly globalGuard?: boolean;
}

/** Implemented by a class passed to `forRootAsync({ useClass })` or `useExisting`. */
export interface JwtAuthOptionsFactory {
  /** Build the module options. */
  createJwtAuthOptions(): JwtAuthModuleOptions | Promise<JwtAuthModuleOptions>;
}
