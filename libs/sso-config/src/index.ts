export { authOptionsFromEnv, AUTH_ENV, trustOptionsFromEnv } from './lib/auth.config';
export {
  clientCredentialsFromEnv,
  resolveTokenEndpoint,
  type ClientCredentialsConfig,
} from './lib/client-credentials.config';
export {
  isLoopbackHostname,
  LOOPBACK_HOST,
  readBoolean,
  readList,
  readPort,
  readString,
  readUrl,
  type Env,
} from './lib/env';
export { describeStartupFailure, runService, type RunningService } from './lib/run-service';
export { ProblemList, ServiceConfigError } from './lib/service-config.error';
export { keyHealth, type KeyHealth } from './lib/key-health';
export { hardenHttpApp, NotFoundWithoutPathFilter } from './lib/http-hardening';
export { OPERATIONS, OperationsController, ServiceMetrics } from './lib/operations';
