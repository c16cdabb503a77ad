import type { LogLevel } from '@nestjs/common';
import { startWebApp, type WebApp, type WebAppConfig, type WebAppDefaults } from '@nest-sso/oidc-web';
import { ConsoleController } from './console.controller';

/** Defaults of the admin console's environment variables. */
export const ADMIN_CONSOLE_DEFAULTS: WebAppDefaults = {
  name: 'admin-console',
  title: 'Admin Console',
  port: 3200,
  clientId: 'admin-console',
  scope: 'openid profile orders:read inventory:read inventory:admin',
};

/** Starts the admin console: sign-in through identity, inventory levels through orders-api (scope `inventory:admin`). */
export function startAdminConsole(
  config: WebAppConfig,
  options: { now?: () => number; logger?: false | LogLevel[] } = {},
): Promise<WebApp> {
  return startWebApp({
    config,
    controllers: [ConsoleController],
    nav: [{ href: '/inventory', label: 'Inventory' }],
    ...options,
  });
}
