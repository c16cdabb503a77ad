/** Injection token of the {@link WebAppConfig}. */
export const WEB_APP_CONFIG = Symbol('WEB_APP_CONFIG');
/** Injection token of the app's header links. */
export const WEB_APP_NAV = Symbol('WEB_APP_NAV');
/** Injection token of the clock (ms since epoch). */
export const WEB_APP_NOW = Symbol('WEB_APP_NOW');
/** Injection token of the {@link LogoutTokenVerifier}. */
export const LOGOUT_TOKEN_VERIFIER = Symbol('LOGOUT_TOKEN_VERIFIER');
