import { runService } from '@nest-sso/sso-config';
import { webAppConfigFromEnv } from '@nest-sso/oidc-web';
import { startWebPortal, WEB_PORTAL_DEFAULTS } from './app/web-portal-app';

runService('web-portal', async () => {
  const app = await startWebPortal(webAppConfigFromEnv(process.env, WEB_PORTAL_DEFAULTS));
  // A plain stdout line that scripts (the demo runner) wait for and parse.
  console.log(`web-portal listening on ${app.url}`);
  return app;
});
