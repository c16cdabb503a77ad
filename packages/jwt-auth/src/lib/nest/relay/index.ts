export { TokenRelay, type RelayClient } from './token-relay';
export { TokenRelayInterceptor } from './token-relay.interceptor';
export { TokenRelayModule, type TokenRelayModuleOptions } from './token-relay.module';
export { RelayAccessToken } from './token-relay.decorator';
export { currentAccessToken, runWithAccessToken } from './token-relay.context';
export { TokenRelayError, TokenRelayErrorCode } from './token-relay.errors';
export { ClientCredentialsModule } from './client-credentials.module';
export { CLIENT_CREDENTIALS_OPTIONS } from './client-credentials.module-definition';
