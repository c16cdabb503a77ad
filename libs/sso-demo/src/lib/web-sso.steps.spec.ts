import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { webSsoSteps } from './web-sso.steps';
import type { ScenarioTarget } from './sso-system';

describe('webSsoSteps', () => {
  it('says plainly that the browser steps were skipped when Chromium is missing, and starts nothing', async () => {
    const screenshotDir = join(tmpdir(), `web-sso-${process.pid}-${Date.now()}`);
    const steps = webSsoSteps({ screenshotDir, chromiumPath: '/nonexistent/chromium' });
    expect(steps).toHaveLength(1);
    const outcome = await steps[0].run({} as ScenarioTarget);
    expect(outcome).toBe('skipped: Chromium not found at /nonexistent/chromium (install it or set CHROMIUM_PATH)');
    expect(existsSync(screenshotDir)).toBe(false);
  });

  it('has five browser steps when Chromium is there', () => {
    const steps = webSsoSteps({ screenshotDir: tmpdir(), chromiumPath: process.execPath });
    expect(steps.map((step) => step.title)).toEqual([
      expect.stringMatching(/^web-portal: alice/),
      expect.stringMatching(/^admin-console: alice .*without the login form/),
      expect.stringMatching(/^admin-console: bob/),
      expect.stringMatching(/back-channel logout/),
      'a fresh visit asks for the password again',
    ]);
  });
});
