import { Module } from '@nestjs/common';
import {
  ClientCredentialsTokenProvider,
  type ClientCredentialsOptions,
} from '../../client/client-credentials.token-provider';
import {
  CLIENT_CREDENTIALS_OPTIONS,
  ClientCredentialsConfigurableModuleClass,
} from './client-credentials.module-definition';

/**
 * Provides a {@link ClientCredentialsTokenProvider} for service-to-service calls: one cached token, renewed shortly
 * before it expires with a single request however many callers ask. The options are checked when the module boots
 * (the token endpoint must be https unless `allowInsecureHttp`); no token is requested until the first `getToken()`.
 * @example ClientCredentialsModule.forRoot({ tokenEndpoint, clientId: 'billing-worker', clientSecret, scope: 'inventory:read' })
 * @example ClientCredentialsModule.forRootAsync({ inject: [ConfigService], useFactory: (c: ConfigService) => ({ ... }) })
 */
@Module({
  providers: [
    {
      provide: ClientCredentialsTokenProvider,
      useFactory: (options: ClientCredentialsOptions) => new ClientCredentialsTokenProvider(options),
      inject: [CLIENT_CREDENTIALS_OPTIONS],
    },
  ],
  exports: [ClientCredentialsTokenProvider],
})
export class ClientCredentialsModule extends ClientCredentialsConfigurableModuleClass {}
