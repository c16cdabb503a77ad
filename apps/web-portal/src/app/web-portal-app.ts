import type { LogLevel } from '@nestjs/common';
import { startWebApp, type WebApp, type WebAppConfig, type WebAppDefaults } from '@nest-sso/oidc-web';
import { PortalController } from './portal.controller';

/** Defaults of the portal's environment variables. */
export const WEB_PORTAL_DEFAULTS: WebAppDefaults = {
  name: 'web-portal',
  title: 'Web Portal',
  port: 3100,
  clientId: 'web-portal',
  scope: 'openid profile orders:read orders:write inventory:read inventory:reserve',
};

/** Starts the web portal: sign-in through identity, the person's orders from orders-api, sign-out everywhere. */
export function startWebPortal(
  config: WebAppConfig,
  options: { now?: () => number; logger?: false | LogLevel[] } = {},
): Promise<WebApp> {
  return startWebApp({
    config,
    controllers: [PortalController],
    nav: [{ href: '/orders', label: 'Orders' }],
    ...options,
  });
}
