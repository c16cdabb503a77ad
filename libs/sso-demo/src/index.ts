export {
  ADMIN_PORTAL,
  ALICE,
  authorizationUrl,
  authorize,
  BILLING_WORKER,
  clientCredentialsToken,
  codeFromRedirect,
  CookieJar,
  exchangeCode,
  jwsHeader,
  OAuthFlowError,
  pkcePair,
  refreshTokens,
  WEB_APP,
  type AuthorizationResult,
  type PublicClient,
  type TokenResponse,
} from './lib/oauth-client';
export { ChildService, childEnv, type ChildServiceOptions } from './lib/child-service';
export {
  DEMO_BASE_PORT,
  demoPorts,
  SsoSystem,
  SYSTEM_SCRIPTS,
  type BillingWorkerRun,
  type ScenarioTarget,
  type SsoSystemOptions,
  type SsoSystemPorts,
} from './lib/sso-system';
export {
  runScenario,
  scenarioStepTitles,
  type ScenarioOptions,
  type ScenarioResult,
  type StepResult,
} from './lib/scenario';
export { runDemo, type DemoOptions } from './lib/run-demo';
export {
  DEFAULT_CHROMIUM_PATH,
  WEB_SSO_SCREENSHOTS,
  webSsoSteps,
  type WebSsoStep,
  type WebSsoStepOptions,
} from './lib/web-sso.steps';
export { WEB_CLIENT_SECRETS, reserveLoopbackPort } from './lib/web-apps';
export { PARTNER_GATEWAY, x509Steps } from './lib/x509-steps';
