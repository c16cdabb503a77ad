/** DI token set to `true` by `JwtAuthModule.forRoot({ globalGuard: true })`: every HTTP route passes `JwtAuthGuard`. */
export const JWT_AUTH_GLOBAL_GUARD = Symbol('nest-sso:jwt-auth:global-guard');
