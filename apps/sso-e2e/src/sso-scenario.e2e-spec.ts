import { runScenario, scenarioStepTitles, type SsoSystem, type StepResult } from '@nest-sso/sso-demo';
import { startSystem } from './support/system';

// The same scenario `npm start` runs, against the same built apps: one module, asserted here step by step.
describe('SSO scenario (npm start)', () => {
  let system: SsoSystem;
  let steps: readonly StepResult[];

  beforeAll(async () => {
    system = await startSystem();
    steps = (await runScenario(system)).steps;
  }, 60_000);

  afterAll(() => system?.stop());

  it('runs every step, in order', () => {
    expect(steps.map((step) => step.title)).toEqual(scenarioStepTitles(true));
    // 11 + the 5 browser steps of the web apps (Chromium is required here) + the 4 X.509 steps.
    expect(steps).toHaveLength(20);
  });

  it.each(scenarioStepTitles(true).map((title, index) => [index + 1, title]))('step %i succeeds: %s', (index) => {
    const step = steps[Number(index) - 1];
    expect({ title: step.title, ok: step.ok, outcome: step.outcome }).toEqual({
      title: step.title,
      ok: true,
      outcome: step.outcome,
    });
  });

  it('ends with the identity service stopped while the resource services run on', async () => {
    expect(system.isIdentityRunning).toBe(false);
    await expect(fetch(`${system.ordersUrl}/health`).then((r) => r.status)).resolves.toBe(200);
    // The trust-store-only orders-api is ready with identity gone: its one key source (the X.509 trust store) is fresh.
    const ready = await fetch(`${system.ordersX509Url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { issuers: Record<string, { status: string }> }> };
    expect(Object.values(body.details['jwt-keys'].issuers)).toEqual([expect.objectContaining({ status: 'fresh' })]);
  });

  it('reports the outcomes without ever printing a token', () => {
    const text = steps.map((step) => `${step.title} ${step.outcome}`).join('\n');
    // A compact JWS is three base64url segments; the outcome text may name kids but never a whole token.
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });
});
