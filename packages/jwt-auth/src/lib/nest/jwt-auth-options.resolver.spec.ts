import type { LoggerService } from '@nestjs/common';
import { JwtAuthConfigError } from '../errors/auth.errors';
import type { KeySourceState } from '../keys/key-source.interface';
import { ResolvedJwtAuthOptions, logKeySourceEvent } from './jwt-auth-options.resolver';

const state: KeySourceState = {
  kind: 'jwks',
  url: 'https://id.example.com/jwks',
  status: 'stale',
  keyIds: [],
  keyCount: 2,
  consecutiveFailures: 1,
};

const recorder = () => {
  const calls: [string, string][] = [];
  const logger: LoggerService = {
    log: (m) => void calls.push(['log', String(m)]),
    warn: (m) => void calls.push(['warn', String(m)]),
    error: (m) => void calls.push(['error', String(m)]),
    debug: (m) => void calls.push(['debug', String(m)]),
  };
  return { calls, logger };
};

describe('ResolvedJwtAuthOptions', () => {
  it('normalises the single-issuer shorthand into issuers, keeping verifier-wide options', () => {
    const now = () => 0;
    const resolved = new ResolvedJwtAuthOptions({
      issuer: 'https://id.example.com',
      audience: 'api',
      jwksUri: 'https://id.example.com/jwks',
      scopeClaim: 'scp',
      clockTolerance: 30,
      maxTokenLength: 4096,
      now,
      realm: 'api',
    });
    expect(resolved.verifierOptions).toMatchObject({
      issuers: [
        {
          issuer: 'https://id.example.com',
          audience: 'api',
          jwksUri: 'https://id.example.com/jwks',
          scopeClaim: 'scp',
        },
      ],
      clockTolerance: 30,
      maxTokenLength: 4096,
      now,
    });
    expect(resolved.verifierOptions).not.toHaveProperty('realm');
    expect(resolved.verifierOptions.issuers[0]).not.toHaveProperty('clockTolerance');
    expect(resolved.realm).toBe('api');
    expect(resolved.extractors).toEqual([]);
  });

  it('passes issuers through untouched', () => {
    const issuers = [
      { issuer: 'a', audience: 'x', jwksUri: 'https://a.example/jwks' },
      { issuer: 'b', audience: 'y', jwksUri: 'https://b.example/jwks' },
    ];
    expect(new ResolvedJwtAuthOptions({ issuers }).verifierOptions.issuers).toBe(issuers);
  });

  it.each([
    [{}, /Invalid option issuer: no issuer is configured/],
    [{ audience: 'api' }, /Invalid option issuer: issuer fields are set at the top level/],
    [
      { issuer: 'a', audience: 'x', issuers: [] },
      /Invalid option issuers: both issuers and the single-issuer shorthand \(issuer, audience\)/,
    ],
    [{ issuers: 'a' }, /Invalid option issuers: it is not an array/],
    [{ issuer: 'a', audience: 'x', realm: 'a"b' }, /Invalid option realm/],
    [{ issuer: 'a', audience: 'x', extractors: ['nope'] }, /Invalid option extractors\[0\]/],
    [{ issuer: 'a', audience: 'x', extractors: () => 'x' }, /Invalid option extractors:/],
    [{ issuer: 'a', audience: 'x', logger: {} }, /Invalid option logger/],
    [{ issuer: 'a', audience: 'x', globalGuard: true }, /Invalid option globalGuard/],
    [{ issuer: 'a', audience: 'x', isGlobal: true }, /Invalid option isGlobal/],
    [null, /Invalid option options/],
  ])('refuses %j', (options, message) => {
    expect(() => new ResolvedJwtAuthOptions(options as never)).toThrow(message);
  });

  const configError = (options: unknown): JwtAuthConfigError => {
    try {
      new ResolvedJwtAuthOptions(options as never);
    } catch (error) {
      if (error instanceof JwtAuthConfigError) return error;
      throw error;
    }
    throw new Error('the options were accepted');
  };

  it('refuses a misspelt option by name with a did-you-mean, not as the missing option it was meant to be', () => {
    const error = configError({ issuer: 'https://id.example.com', audiance: 'api' });
    expect(error.message).toBe(
      'Invalid option audiance: unknown option; did you mean audience? Fix: rename audiance to audience',
    );
    expect(configError({ issuer: 'https://id.example.com', audience: 'api', globalGaurd: true }).message).toMatch(
      /Invalid option globalGaurd: unknown option; did you mean globalGuard\?/,
    );
    expect(configError({ issuer: 'https://id.example.com', audience: 'api', realms: 'x' }).message).toMatch(
      /did you mean realm\?/,
    );
  });

  it('reports module and verifier problems at once, in the names the shorthand used', () => {
    const error = configError({
      issuer: 'https://id.example.com',
      audience: '',
      jwksUri: 'http://id.example.com/jwks',
      realm: 'a"b',
      rejectionLogLevel: 'trace',
      maxTokenLenght: 4096,
    });
    expect(error.problems.map((problem) => problem.option)).toEqual([
      'maxTokenLenght',
      'realm',
      'rejectionLogLevel',
      'audience',
      'jwksUri',
    ]);
    expect(error.problems[0].problem).toBe('unknown option; did you mean maxTokenLength?');
    expect(
      configError({ issuers: [{ issuer: 'https://id.example.com', audience: 'api', algorithms: [] }] }).option,
    ).toBe('issuers[0].algorithms');
  });

  it('logs key-source events and still calls the application listener, surviving its throw', () => {
    const { calls, logger } = recorder();
    const seen: string[] = [];
    const resolved = new ResolvedJwtAuthOptions({
      issuer: 'https://id.example.com',
      audience: 'api',
      logger,
      onKeySourceEvent: (issuer, event) => {
        seen.push(`${issuer}:${event.type}`);
        throw new Error('listener bug');
      },
    });
    resolved.verifierOptions.onKeySourceEvent?.('https://id.example.com', { type: 'stale', state, error: 'HTTP 503' });
    expect(seen).toEqual(['https://id.example.com:stale']);
    expect(calls[0]).toEqual(['warn', expect.stringContaining('HTTP 503')]);
    expect(calls[1]).toEqual(['error', expect.stringContaining('listener bug')]);
  });
});

describe('logKeySourceEvent', () => {
  it('warns on stale, errs on failing, logs recovery, warns on rejected members, debugs refreshes', () => {
    const { calls, logger } = recorder();
    logKeySourceEvent(logger, 'iss', { type: 'stale', state, error: 'timeout' });
    logKeySourceEvent(logger, 'iss', { type: 'failing', state, error: 'timeout' });
    logKeySourceEvent(logger, 'iss', { type: 'recovered', state });
    logKeySourceEvent(logger, 'iss', {
      type: 'keys-rejected',
      state: { ...state, rejectedKeys: [{ kid: 'k1', reason: 'private member d' }] },
    });
    logKeySourceEvent(logger, 'iss', { type: 'refreshed', state });
    expect(calls.map(([level]) => level)).toEqual(['warn', 'error', 'log', 'warn', 'debug']);
    expect(calls[0][1]).toContain('https://id.example.com/jwks');
    expect(calls[3][1]).toContain('kid "k1": "private member d"');
  });

  it('escapes every issuer-controlled string: no CR/LF, no terminal escapes, nothing beyond printable ASCII', () => {
    const { calls, logger } = recorder();
    const hostile = 'k1\r\n[Nest] 1  - 12/07/2026, 4:00:00 AM   ERROR [Forged] admin logged in\u001b[2J\u009b\u2028';
    const hostileState = { ...state, url: `https://id.example.com/jwks?${hostile}` };
    logKeySourceEvent(logger, hostile, {
      type: 'keys-rejected',
      state: { ...hostileState, rejectedKeys: [{ kid: hostile, reason: `JWK alg ${hostile}` }] },
    });
    logKeySourceEvent(logger, hostile, { type: 'stale', state: hostileState, error: hostile });
    logKeySourceEvent(logger, hostile, { type: 'failing', state: hostileState, error: hostile });
    expect(calls).toHaveLength(3);
    for (const [, line] of calls) {
      expect(line).toMatch(/^[\x20-\x7e]*$/);
      expect(line).toContain('k1\\x0d\\x0a[Nest]');
    }
  });
});
