import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ASYMMETRIC_ALGORITHMS, JwtAuthConfigError } from '@nest-sso/jwt-auth';
import { authOptionsFromEnv } from './auth.config';
import { clientCredentialsFromEnv, resolveTokenEndpoint } from './client-credentials.config';
import { describeStartupFailure } from './run-service';
import { ServiceConfigError } from './service-config.error';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServiceConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ServiceConfigError');
}

describe('authOptionsFromEnv', () => {
  it('uses OIDC discovery and every asymmetric algorithm by default', () => {
    expect(
      authOptionsFromEnv({ AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'orders-api' }, 'orders-api'),
    ).toEqual({
      issuer: 'https://id.example.com',
      audience: 'orders-api',
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      discovery: true,
      realm: 'orders-api',
      profile: 'rfc9068',
    });
    expect(ASYMMETRIC_ALGORITHMS).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
    ]);
  });

  it('reads AUTH_SCOPE_CLAIM (scope, scp or both) and names a bad value', () => {
    const base = { AUTH_ISSUER: 'https://id.example.com', AUTH_AUDIENCE: 'orders-api' };
    expect(authOptionsFromEnv({ ...base, AUTH_SCOPE_CLAIM: 'scp' }).scopeClaim).toBe('scp');
    expect(authOptionsFromEnv({ ...base, AUTH_SCOPE_CLAIM: 'both' }).scopeClaim).toBe('both');
    expect(authOptionsFromEnv(base).scopeClaim).toBeUndefined(); // the package default, scope
    expect(problemsOf(() => authOptionsFromEnv({ ...base, AUTH_SCOPE_CLAIM: 'roles' }))).toEqual([
      'AUTH_SCOPE_CLAIM: must be one of scope, scp, both (got "roles")',
    ]);
  });

  it('uses AUTH_JWKS_URI instead of discovery, a list of audiences and algorithms, and loopback http when allowed', () => {
    const options = authOptionsFromEnv({
      AUTH_ISSUER: 'http://127.0.0.1:4000',
      AUTH_JWKS_URI: 'http://localhost:4000/.well-known/jwks.json',
      AUTH_AUDIENCE: 'orders-api, inventory-service',
      AUTH_ALGORITHMS: 'ES256,EdDSA',
      AUTH_ALLOW_INSECURE_HTTP: 'true',
    });
    expect(options).toEqual({
      issuer: 'http://127.0.0.1:4000',
      audience: ['orders-api', 'inventory-service'],
      algorithms: ['ES256', 'EdDSA'],
      jwksUri: 'http://localhost:4000/.well-known/jwks.json',
      allowInsecureHttp: true,
      profile: 'rfc9068',
    });
    expect(options).not.toHaveProperty('discovery');
  });

  it('lists every missing variable at once', () => {
    expect(problemsOf(() => authOptionsFromEnv({}))).toEqual([
      expect.stringMatching(/^AUTH_ISSUER: is required/),
      expect.stringMatching(/^AUTH_AUDIENCE: is required/),
    ]);
  });

  it('refuses an http JWKS URL without AUTH_ALLOW_INSECURE_HTTP, naming the variable and the fix', () => {
    const env = {
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_AUDIENCE: 'orders-api',
      AUTH_JWKS_URI: 'http://127.0.0.1:4000/jwks',
    };
    expect(problemsOf(() => authOptionsFromEnv(env))).toEqual([
      expect.stringMatching(/^AUTH_JWKS_URI: .*plain http; use https, or set AUTH_ALLOW_INSECURE_HTTP=true/),
    ]);
  });

  it('allows insecure http on loopback hosts only', () => {
    const env = {
      AUTH_ISSUER: 'http://id.internal:4000',
      AUTH_AUDIENCE: 'orders-api',
      AUTH_ALLOW_INSECURE_HTTP: 'true',
    };
    expect(problemsOf(() => authOptionsFromEnv(env))).toEqual([
      expect.stringMatching(/^AUTH_ISSUER: AUTH_ALLOW_INSECURE_HTTP allows http only on 127\.0\.0\.1/),
    ]);
  });

  it.each([
    ['HS256', /HS256 needs a shared secret/],
    ['none', /"none" is not supported/],
    ['es256', /"es256" is not supported/],
    [',', /list at least one/],
  ])('refuses AUTH_ALGORITHMS=%s', (algorithms, message) => {
    const env = {
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_AUDIENCE: 'a',
      AUTH_ALGORITHMS: algorithms,
    };
    expect(problemsOf(() => authOptionsFromEnv(env))).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    ['AUTH_ISSUER', 'id.example.com', /must be an absolute URL/],
    ['AUTH_ISSUER', 'https://user:pw@id.example.com', /must not contain credentials/],
    ['AUTH_ISSUER', 'ftp://id.example.com', /must use https/],
    ['AUTH_ALLOW_INSECURE_HTTP', 'maybe', /must be true or false/],
  ])('refuses %s=%s', (name, value, message) => {
    const env = {
      AUTH_ISSUER: 'https://id.example.com',
      AUTH_AUDIENCE: 'a',
      [name]: value,
    };
    expect(problemsOf(() => authOptionsFromEnv(env))).toEqual([expect.stringMatching(message)]);
  });

  it("reports the jwt-auth package's own boot checks as a configuration problem", () => {
    const problems = problemsOf(() =>
      authOptionsFromEnv({
        AUTH_ISSUER: 'https://id.example.com/?tenant=1',
        AUTH_AUDIENCE: 'a',
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Invalid option .*issuer/);
  });
});

describe('clientCredentialsFromEnv / resolveTokenEndpoint', () => {
  let server: Server;
  let base: string;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const env = () => ({
    AUTH_ISSUER: base,
    AUTH_CLIENT_ID: 'billing-worker',
    AUTH_CLIENT_SECRET: 'top-secret-value',
    AUTH_ALLOW_INSECURE_HTTP: 'true',
  });

  it('finds the token endpoint through discovery', async () => {
    document = { issuer: base, token_endpoint: `${base}/oauth/token` };
    await expect(resolveTokenEndpoint(clientCredentialsFromEnv(env()))).resolves.toBe(`${base}/oauth/token`);
  });

  it('refuses a discovery document for another issuer', async () => {
    document = {
      issuer: 'http://127.0.0.1:1',
      token_endpoint: `${base}/oauth/token`,
    };
    await expect(resolveTokenEndpoint(clientCredentialsFromEnv(env()))).rejects.toThrow(
      /names issuer "http:\/\/127\.0\.0\.1:1"/,
    );
  });

  it('reports an unreachable issuer as a configuration problem', async () => {
    const config = clientCredentialsFromEnv({
      ...env(),
      AUTH_ISSUER: 'http://127.0.0.1:1',
    });
    await expect(resolveTokenEndpoint(config)).rejects.toThrow(ServiceConfigError);
  });

  it('requires the client credentials and never echoes the secret', () => {
    expect(
      problemsOf(() =>
        clientCredentialsFromEnv({
          AUTH_ISSUER: base,
          AUTH_ALLOW_INSECURE_HTTP: 'true',
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^AUTH_CLIENT_ID: is required/),
      expect.stringMatching(/^AUTH_CLIENT_SECRET: is required/),
    ]);
    const error = (() => {
      try {
        clientCredentialsFromEnv({
          ...env(),
          AUTH_ALLOW_INSECURE_HTTP: 'false',
        });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/AUTH_ISSUER/);
    expect(error?.message).not.toContain('top-secret-value');
  });
});

describe('describeStartupFailure', () => {
  it('prints configuration errors as they are and other errors on one line', () => {
    expect(describeStartupFailure('orders-api', new ServiceConfigError(['AUTH_ISSUER: is required']))).toBe(
      'orders-api: invalid configuration:\n  - AUTH_ISSUER: is required',
    );
    expect(describeStartupFailure('x', new JwtAuthConfigError('issuer', 'bad', 'fix it'))).toBe(
      'x: Invalid option issuer: bad. Fix: fix it',
    );
    expect(describeStartupFailure('x', new Error('listen EADDRINUSE'))).toBe('x failed to start: listen EADDRINUSE');
  });
});
