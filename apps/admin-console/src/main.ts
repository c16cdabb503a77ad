import { runService } from '@nest-sso/sso-config';
import { webAppConfigFromEnv } from '@nest-sso/oidc-web';
import { ADMIN_CONSOLE_DEFAULTS, startAdminConsole } from './app/admin-console-app';

runService('admin-console', async () => {
  const app = await startAdminConsole(webAppConfigFromEnv(process.env, ADMIN_CONSOLE_DEFAULTS));
  // A plain stdout line that scripts (the demo runner) wait for and parse.
  console.log(`admin-console listening on ${app.url}`);
  return app;
});
