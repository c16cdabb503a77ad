import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codeFromRedirect, CookieJar, OAuthFlowError, WEB_APP } from './oauth-client';
import { runScenario, scenarioStepTitles, type StepResult } from './scenario';
import type { ScenarioTarget } from './sso-system';

describe('runScenario', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // A stand-in identity whose discovery document names another issuer: the very first step must fail.
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ issuer: 'http://127.0.0.1:1' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fails the step that goes wrong, skips the rest and reports them all', async () => {
    const calls: string[] = [];
    const target: ScenarioTarget = {
      identityUrl: base,
      issuer: base,
      ordersUrl: base,
      inventoryUrl: base,
      webPortalUrl: base,
      adminConsoleUrl: base,
      rotateKeys: async () => void calls.push('rotate'),
      runBillingWorker: async () => {
        calls.push('billing');
        return { code: 0, result: { ok: true } };
      },
      stopIdentity: async () => void calls.push('stop'),
      ordersX509Url: base,
      revokeSigningCertificate: async () => {
        calls.push('revoke');
        return { revoked: '', current: '' };
      },
    };
    const reported: StepResult[] = [];
    const result = await runScenario(target, {
      onStep: (step) => reported.push(step),
    });
    expect(result.ok).toBe(false);
    expect(result.steps.map((step) => step.title)).toEqual(scenarioStepTitles(true));
    expect(result.steps[0]).toMatchObject({
      index: 1,
      ok: false,
      outcome: 'discovery answered 200 naming issuer "http://127.0.0.1:1"',
    });
    expect(result.steps.slice(1).every((step) => !step.ok && step.outcome === 'skipped: an earlier step failed')).toBe(
      true,
    );
    expect(reported).toEqual(result.steps);
    expect(calls).toEqual([]);
  });

  it('leaves out the identity-down step when asked to keep identity running', () => {
    expect(scenarioStepTitles(false)).toEqual(
      scenarioStepTitles(true).filter((title) => !title.startsWith('identity stopped')),
    );
    expect(scenarioStepTitles(true).length - scenarioStepTitles(false).length).toBe(2);
  });
});

describe('oauth client helpers', () => {
  it('checks the redirect target, state and issuer before taking the code', () => {
    const redirect = (query: string) => new URL(`${WEB_APP.redirectUri}?${query}`);
    expect(
      codeFromRedirect(
        redirect('code=abc&state=s1&iss=http%3A%2F%2F127.0.0.1%3A9'),
        WEB_APP,
        's1',
        'http://127.0.0.1:9',
      ),
    ).toBe('abc');
    expect(() =>
      codeFromRedirect(
        redirect('code=abc&state=other&iss=http%3A%2F%2F127.0.0.1%3A9'),
        WEB_APP,
        's1',
        'http://127.0.0.1:9',
      ),
    ).toThrow(OAuthFlowError);
    expect(() =>
      codeFromRedirect(redirect('code=abc&state=s1&iss=http%3A%2F%2Fevil'), WEB_APP, 's1', 'http://127.0.0.1:9'),
    ).toThrow(/another issuer/);
    expect(() => codeFromRedirect(redirect('error=access_denied&state=s1'), WEB_APP, 's1', 'x')).toThrow(
      /access_denied/,
    );
    expect(() => codeFromRedirect(new URL('http://127.0.0.1/elsewhere?code=abc'), WEB_APP, 's1', 'x')).toThrow(
      /not to/,
    );
  });

  it('keeps cookies and honours deletion', () => {
    const jar = new CookieJar();
    const headers = new Headers();
    headers.append('set-cookie', 'identity_login=abc; Path=/; HttpOnly');
    headers.append('set-cookie', 'identity_session=s1; Path=/');
    jar.store(new Response(null, { headers }));
    expect(jar.header()).toBe('identity_login=abc; identity_session=s1');
    const deletion = new Headers();
    deletion.append('set-cookie', 'identity_login=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    jar.store(new Response(null, { headers: deletion }));
    expect(jar.has('identity_login')).toBe(false);
    expect(jar.header()).toBe('identity_session=s1');
  });
});
