import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { IdentityConfigError, identityConfigFromEnv, resolveIdentityConfig } from './identity.config';

describe('identity configuration', () => {
  it('applies the documented defaults', () => {
    const config = identityConfigFromEnv({});
    expect(config).toMatchObject({
      port: 0,
      issuer: undefined,
      dataDir: join(process.cwd(), 'tmp', 'identity-data'),
      rotationPeriodSeconds: 86400,
      accessTokenTtlSeconds: 600,
      adminToken: undefined,
    });
    expect(isAbsolute(config.seedFile)).toBe(true);
    expect(existsSync(config.seedFile)).toBe(true);
  });

  it('reads X509_CLIENTS and X509_AUDIENCES as lists, and refuses blanks inside names', () => {
    expect(identityConfigFromEnv({ X509_CLIENTS: 'a, b', X509_AUDIENCES: 'orders-api' })).toMatchObject({
      x509Clients: ['a', 'b'],
      x509Audiences: ['orders-api'],
    });
    expect(identityConfigFromEnv({})).toMatchObject({ x509Clients: [], x509Audiences: [] });
    expect(() => resolveIdentityConfig({ x509Clients: ['a b'] })).toThrow(/X509_CLIENTS/);
  });

  it('reads every variable and derives the issuer from a fixed port', () => {
    const config = identityConfigFromEnv({
      PORT: '4100',
      DATA_DIR: '/var/lib/identity',
      SEED_FILE: 'seed.json',
      ROTATION_PERIOD_SECONDS: '3600',
      ACCESS_TOKEN_TTL_SECONDS: '300',
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    });
    expect(config).toMatchObject({
      port: 4100,
      issuer: 'http://127.0.0.1:4100',
      dataDir: '/var/lib/identity',
      seedFile: join(process.cwd(), 'seed.json'),
      rotationPeriodSeconds: 3600,
      accessTokenTtlSeconds: 300,
      adminToken: 'a-long-enough-admin-token',
    });
    expect(identityConfigFromEnv({ PORT: '4100', ISSUER: 'https://id.example.com' }).issuer).toBe(
      'https://id.example.com',
    );
  });

  it('reads CRL_CHECK_SECONDS (default one hour) and names it when invalid', () => {
    expect(identityConfigFromEnv({}).crlCheckSeconds).toBe(3600);
    expect(identityConfigFromEnv({ CRL_CHECK_SECONDS: '600' }).crlCheckSeconds).toBe(600);
    for (const [value, problem] of [
      ['0', /CRL_CHECK_SECONDS: must be an integer from 1 to 86400 \(got 0\)/],
      ['86401', /CRL_CHECK_SECONDS: must be an integer from 1 to 86400 \(got 86401\)/],
      ['hourly', /CRL_CHECK_SECONDS: must be a non-negative integer \(got "hourly"\)/],
    ] as const) {
      expect(() => identityConfigFromEnv({ CRL_CHECK_SECONDS: value })).toThrow(problem);
    }
  });

  it('lists every invalid variable in one error without echoing the admin secret', () => {
    let error: unknown;
    try {
      identityConfigFromEnv({
        PORT: 'eighty',
        ISSUER: 'http://id.example.com',
        ACCESS_TOKEN_TTL_SECONDS: '0',
        ROTATION_PERIOD_SECONDS: '-5',
        ADMIN_TOKEN: 'short-secret',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IdentityConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT: must be a non-negative integer \(got "eighty"\)/);
    expect(message).toMatch(/ISSUER: must use https/);
    expect(message).toMatch(/ACCESS_TOKEN_TTL_SECONDS: must be an integer from 1/);
    expect(message).toMatch(/ROTATION_PERIOD_SECONDS: must be a non-negative integer/);
    expect(message).toMatch(/ADMIN_TOKEN: must be at least 16 characters/);
    expect(message).not.toContain('short-secret');
    expect((error as IdentityConfigError).problems).toHaveLength(5);
  });

  it('refuses issuers with a query, fragment or credentials', () => {
    for (const issuer of [
      'https://id.example.com?x=1',
      'https://id.example.com#top',
      'https://u:p@id.example.com',
      'not a url',
    ]) {
      expect(() => resolveIdentityConfig({ issuer })).toThrow(IdentityConfigError);
    }
    expect(resolveIdentityConfig({ issuer: 'http://localhost:9000' }).issuer).toBe('http://localhost:9000');
  });
});
