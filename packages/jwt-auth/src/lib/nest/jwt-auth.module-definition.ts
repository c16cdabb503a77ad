import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { JwtAuthModuleExtras, JwtAuthModuleOptions } from './jwt-auth-options.interface';
import { MessageHandlerGuardBinder } from './auth-metadata.inspector';
import { JWT_AUTH_GLOBAL_GUARD } from './jwt-auth.constants';
import { JwtAuthGuard } from './jwt-auth.guard';

/** Module extras defaults: local module, no global guard. */
const DEFAULT_EXTRAS: JwtAuthModuleExtras = { isGlobal: false, globalGuard: false };

// `globalGuard` is an extra rather than an option so that forRootAsync knows at definition time whether to register
// APP_GUARD; an option resolved later by a factory could only be honoured by a guard that lets everything through.
const definition = new ConfigurableModuleBuilder<JwtAuthModuleOptions>({ moduleName: 'JwtAuth' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createJwtAuthOptions')
  .setExtras(DEFAULT_EXTRAS, (module, extras) => {
    // One guard instance for APP_GUARD and for the message handlers the binder guards (see MessageHandlerGuardBinder).
    const guard: Provider[] = extras.globalGuard
      ? [
          { provide: APP_GUARD, useExisting: JwtAuthGuard },
          MessageHandlerGuardBinder,
          { provide: JWT_AUTH_GLOBAL_GUARD, useValue: true },
        ]
      : [];
    return { ...module, global: extras.isGlobal === true, providers: [...(module.providers ?? []), ...guard] };
  })
  .build();

/** The generated base class with `forRoot()` / `forRootAsync()`. */
export const JwtAuthConfigurableModuleClass = definition.ConfigurableModuleClass;

/** DI token of the raw {@link JwtAuthModuleOptions} as passed to `forRoot()` or returned by the async factory. */
export const JWT_AUTH_MODULE_OPTIONS = definition.MODULE_OPTIONS_TOKEN;
