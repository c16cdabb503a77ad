import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ClientCredentialsOptions } from '../../client/client-credentials.token-provider';

const definition = new ConfigurableModuleBuilder<ClientCredentialsOptions>({
  moduleName: 'ClientCredentials',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createClientCredentialsOptions')
  .setExtras({ isGlobal: false }, (module, extras) => ({
    ...module,
    global: extras.isGlobal === true,
  }))
  .build();

/** The generated base class with `forRoot()` / `forRootAsync()`. */
export const ClientCredentialsConfigurableModuleClass = definition.ConfigurableModuleClass;

/** DI token of the {@link ClientCredentialsOptions} passed to `ClientCredentialsModule.forRoot()` or built by its factory. */
export const CLIENT_CREDENTIALS_OPTIONS = definition.MODULE_OPTIONS_TOKEN;
