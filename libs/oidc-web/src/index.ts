export { AuthController, safeReturnPath } from './lib/auth.controller';
export {
  escapeHtml,
  renderErrorPage,
  renderPage,
  sendHtml,
  sendRedirect,
  type NavLink,
  type PageFrame,
} from './lib/pages';
export {
  GrantRefusedError,
  ProviderUnavailableError,
  RelyingParty,
  type CallbackChecks,
  type TokenSet,
} from './lib/relying-party';
export { startWebApp, type WebApp, type WebAppOptions } from './lib/web-app';
export { WEB_APP_HOST, webAppConfigFromEnv, type WebAppConfig, type WebAppDefaults } from './lib/web-app.config';
export { readCookie, WebSessionService, type ApiResult } from './lib/web-session.service';
export { WebSessionStore, type LoginTransaction, type WebSession } from './lib/web-session.store';
