import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as fc from 'fast-check';
import {
  AccessTokenVerifier,
  AuthError,
  AuthErrorCode,
  toVerificationKey,
  verifyCompactJws,
  type AuthPrincipal,
  type VerificationKey,
} from '../src';
import { signJwsInput } from '../src/testing';
// Internal on purpose: the strict JSON parser is not public API, but it is the first thing hostile input meets.
import { parseStrictJson, StrictJsonError } from '../src/lib/json/strict-json';
import { hasDuplicateMembers, jsonDepth, sameJson } from './json-oracle';

// Fuzz targets over the strict JSON parser and the verifier, shared by the jest run (short, fixed seed) and the
// `npm run fuzz` CLI (time-bounded). Every target states its property; a failure carries the seed and path to replay.

const NOW = 1_750_000_000;
const SKEW = 60;
const ISSUER = 'https://issuer.fuzz.test';
const AUDIENCE = 'fuzz-api';
const MAX_NUMERIC_DATE = 253402300799;
const MAX_TOKEN_LENGTH = 8192;
const MAX_DEPTH = 20;
const STATUSES = new Set([400, 401, 403]);
const CODES = new Set<string>(Object.values(AuthErrorCode));
const POLLUTION_PROBES = ['polluted', 'admin', 'isAdmin', 'iss'];

type FuzzAlg = 'ES256' | 'EdDSA' | 'HS256';
const FUZZ_ALGS: readonly FuzzAlg[] = ['ES256', 'EdDSA', 'HS256'];
// The HMAC secret is configured without a kid, so any other bounded kid reaches it.
const KIDS: Readonly<Record<FuzzAlg, string>> = { ES256: 'es', EdDSA: 'ed', HS256: 'hs-any' };

/** Keys (generated per process), the verifier under test, and a few valid tokens to mutate. */
export interface FuzzEnvironment {
  readonly verifier: AccessTokenVerifier;
  readonly jwsKeys: readonly VerificationKey[];
  readonly signers: Readonly<Record<FuzzAlg, (input: string) => Buffer>>;
  readonly validTokens: readonly string[];
}

let environment: FuzzEnvironment | undefined;

/** The shared environment, created on first use. */
export function fuzzEnvironment(): FuzzEnvironment {
  if (environment) return environment;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const secret = randomBytes(64);
  const signers: Record<FuzzAlg, (input: string) => Buffer> = {
    ES256: (input) => signJwsInput('ES256', ec.privateKey, input),
    EdDSA: (input) => signJwsInput('EdDSA', ed.privateKey, input),
    HS256: (input) => signJwsInput('HS256', secret, input),
  };
  const keyed = (key: KeyObject, alg: 'ES256' | 'EdDSA') => ({ key, kid: KIDS[alg], alg });
  const verifier = new AccessTokenVerifier({
    now: () => NOW * 1000,
    clockTolerance: SKEW,
    issuers: [
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [...FUZZ_ALGS],
        keys: [keyed(ec.publicKey, 'ES256'), keyed(ed.publicKey, 'EdDSA')],
        secret,
      },
    ],
  });
  const validTokens = FUZZ_ALGS.map((alg) => {
    const input = `${b64u(JSON.stringify({ alg, typ: 'at+jwt', kid: KIDS[alg] }))}.${b64u(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'fuzz', exp: NOW + 300, scope: 'a b' }))}`;
    return `${input}.${signers[alg](input).toString('base64url')}`;
  });
  const jwsKeys = [
    toVerificationKey(ec.publicKey, KIDS.ES256, 'ES256', undefined),
    toVerificationKey(ed.publicKey, KIDS.EdDSA, 'EdDSA', undefined),
  ];
  environment = { verifier, jwsKeys, signers, validTokens };
  return environment;
}

const b64u = (text: string | Uint8Array): string => Buffer.from(text as string).toString('base64url');
const json = (value: unknown): string => JSON.stringify(value);
const mediaType = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');

/** A property violation (or hang) found by fuzzing. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `a thrown ${typeof error}`;
}

function checkAuthError(error: unknown, where: string): AuthError {
  if (!(error instanceof AuthError))
    throw new FuzzFailure(`${where} rejected with ${describeThrown(error)} instead of an AuthError`);
  if (!CODES.has(error.code)) throw new FuzzFailure(`${where} rejected with unknown code ${String(error.code)}`);
  if (!STATUSES.has(error.status)) throw new FuzzFailure(`${where} rejected with status ${error.status}`);
  return error;
}

function checkNoPollution(): void {
  const probe: Record<string, unknown> = {};
  for (const name of POLLUTION_PROBES)
    if (probe[name] !== undefined) throw new FuzzFailure(`Object.prototype was polluted with "${name}"`);
}

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Await with a deadline: a call that takes longer than `maxMs` is a failure ("never a hang"). */
async function settle<T>(call: () => Promise<T>, maxMs: number, where: string, stats: CallStats): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FuzzFailure(`${where} did not settle within ${maxMs} ms`)), maxMs);
  });
  try {
    return { ok: true, value: await Promise.race([call(), deadline]) };
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    stats.record(performance.now() - started, maxMs, where);
  }
}

/** Slowest call seen (a call over budget is a failure), and how often each outcome occurred. */
export class CallStats {
  maxMs = 0;
  readonly outcomes: Record<string, number> = {};

  count(outcome: string): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  record(ms: number, limitMs: number, where: string): void {
    this.maxMs = Math.max(this.maxMs, ms);
    if (ms > limitMs) throw new FuzzFailure(`${where} took ${ms.toFixed(0)} ms (limit ${limitMs} ms)`);
  }
}

/**
 * `verify` must reject the token. `verifyCompactJws` (any payload, not only JWTs) must reject it too, unless the
 * generator signed it with a configured asymmetric key: random payload bytes under a valid signature are a valid JWS.
 */
async function expectRejected(
  env: FuzzEnvironment,
  token: string,
  maxMs: number,
  stats: CallStats,
  validJws = false,
): Promise<void> {
  const verified = await settle(() => env.verifier.verify(token), maxMs, 'verify', stats);
  if (verified.ok) throw new FuzzFailure('verify accepted a token the generator knows is invalid');
  stats.count(checkAuthError(verified.error, 'verify').code);
  const jws = await settle(
    () => verifyCompactJws(token, env.jwsKeys, { algorithms: FUZZ_ALGS }),
    maxMs,
    'verifyCompactJws',
    stats,
  );
  if (jws.ok !== validJws)
    throw new FuzzFailure(
      `verifyCompactJws ${jws.ok ? 'accepted' : 'rejected'} a JWS the generator knows is ${validJws ? 'valid' : 'invalid'}`,
    );
  if (!jws.ok) checkAuthError(jws.error, 'verifyCompactJws');
  checkNoPollution();
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlChar = fc.constantFrom(...B64URL.split(''));
const tokenChar = fc.constantFrom(...`${B64URL}.=+/ \t\n%\u0000\u00e9\ufeff`.split(''));

const nestedText = fc
  .tuple(
    fc.integer({ min: 1, max: 40 }),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
    fc.constantFrom('1', '"x"', 'null', '{}', '[]'),
  )
  .map(([depth, kinds, leaf]) => {
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i++) {
      open += kinds[i] ? '[' : '{"a":';
      close = (kinds[i] ? ']' : '}') + close;
    }
    return `${open}${leaf}${close}`;
  });

const numberText = fc.constantFrom(
  '1e400',
  '-1e400',
  '-0',
  '0',
  '01',
  '1.',
  '.5',
  '1e',
  '1e+',
  '-',
  '--1',
  '1.5e-7',
  '123456789012345678901234567890',
  '0x10',
  'Infinity',
  'NaN',
  '1_000',
  '+1',
  '2.',
  '1E5',
  '-0.0e-0',
  '9007199254740993',
  '1e-400',
);

const escapeText = fc.constantFrom(
  '"\\u12"',
  '"\\ud800"',
  '"\\udc00\\ud800"',
  '"\\x41"',
  '"\\/"',
  '"\u0001"',
  '"\\u0000"',
  '"a\\"',
  '"\\uD83D\\uDE00"',
  '"\\U0041"',
  '"\\u00e9"',
  '"\t"',
  '"\\\'"',
  '"\u2028"',
  '"\ud800"',
  '"\\',
  '"',
);

const jsonText = fc.json({ maxDepth: 6, stringUnit: 'binary' });

const mutatedJson = fc
  .tuple(
    jsonText,
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'replace'),
    fc.constantFrom(...'{}[]:,"\\ 0-.eE\ufeff\u00a0\u0000tfn'.split('')),
  )
  .map(([text, position, op, char]) => {
    const at = text.length === 0 ? 0 : position % text.length;
    if (op === 'insert') return text.slice(0, at) + char + text.slice(at);
    if (op === 'delete') return text.slice(0, at) + text.slice(at + 1);
    return text.slice(0, at) + char + text.slice(at + 1);
  });

const duplicateJson = fc
  .tuple(
    fc.dictionary(fc.string({ maxLength: 4, unit: 'binary' }), fc.jsonValue({ maxDepth: 2 }), {
      minKeys: 1,
      maxKeys: 4,
    }),
    fc.nat(),
    fc.jsonValue({ maxDepth: 1 }),
    fc.boolean(),
  )
  .map(([object, index, value, escapeFirst]) => {
    const keys = Object.keys(object);
    const name = keys[index % keys.length];
    // The same name spelled with an escape is still the same name.
    const spelled =
      escapeFirst && name.length > 0
        ? `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${json(name.slice(1)).slice(1)}`
        : json(name);
    return json(object).replace(/\}$/, `,${spelled}:${json(value) ?? 'null'}}`);
  });

const strictJsonInput = fc.oneof(
  { weight: 3, arbitrary: jsonText },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  {
    weight: 3,
    arbitrary: fc.string({
      unit: fc.constantFrom(...'{}[]:,"\\ 0123456789.eE+-tfnrulasx\t\n\u00e9\ufeff'.split('')),
      maxLength: 40,
    }),
  },
  { weight: 3, arbitrary: mutatedJson },
  { weight: 2, arbitrary: duplicateJson },
  { weight: 2, arbitrary: nestedText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(numberText, fc.constantFrom('%', '[%]', '{"n":%}', ' % '))
      .map(([n, frame]) => frame.replace('%', n)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(escapeText, fc.constantFrom('%', '[%]', '{"s":%}', '{%:1}'))
      .map(([s, frame]) => frame.replace('%', s)),
  },
);

/** One JSON member of a generated header or payload: raw JSON text, and whether the verifier must accept it. */
interface Member {
  readonly name: string;
  readonly raw: string;
  readonly ok: boolean;
}

const judged = (name: string, values: fc.Arbitrary<unknown>, ok: (value: unknown) => boolean): fc.Arbitrary<Member> =>
  values.map((value) => ({ name, raw: json(value) ?? 'null', ok: ok(JSON.parse(json(value) ?? 'null')) }));
const rawJudged = (name: string, raws: fc.Arbitrary<string>, ok: (value: unknown) => boolean): fc.Arbitrary<Member> =>
  raws.map((raw) => ({ name, raw, ok: ok(JSON.parse(raw)) }));
const missing = (name: string, ok: boolean): fc.Arbitrary<Member | undefined> =>
  fc.constant(ok ? undefined : { name, raw: '', ok: false });
const maybe = (member: fc.Arbitrary<Member>): fc.Arbitrary<Member | undefined> =>
  fc.option(member, { nil: undefined, freq: 2 });
/** Mostly `usual`, sometimes `unusual`: each member is hostile only now and then, so many tokens stay fully valid. */
const mostly = <T>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<T>, ratio = 15): fc.Arbitrary<T> =>
  fc.oneof({ weight: ratio, arbitrary: usual }, { weight: 1, arbitrary: unusual });

const isFiniteDate = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_NUMERIC_DATE;
const dateRaw = fc.oneof(
  fc.integer({ min: NOW - 200, max: NOW + 200 }).map(String),
  fc.integer({ min: 0, max: MAX_NUMERIC_DATE + 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => json(d)),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '9007199254740993',
    '1e308',
    '-0',
    '-1',
    '0.5',
    '1e-7',
    '"1750000300"',
    'null',
    'true',
    '[1]',
    '{}',
    String(MAX_NUMERIC_DATE),
    String(MAX_NUMERIC_DATE + 1),
  ),
);
const stringish = mostly<unknown>(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), fc.constant({})),
);
const goodDate = (min: number, max: number) => fc.integer({ min, max }).map(String);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const hostileValue = fc.oneof(
  { weight: 30, arbitrary: jsonValue.map((v) => json(v) ?? 'null') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '1e400',
      '-0',
      '123456789012345678901234567890',
      '1E-400',
      '{"polluted":true,"admin":true}',
      '{"__proto__":{"polluted":true}}',
    ),
  },
  { weight: 3, arbitrary: nestedText },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 9000 }).map((n) => json('\u00e9'.repeat(n))) },
);
const extraName = (reserved: readonly string[]) =>
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'polluted'),
    )
    .filter((n) => !reserved.includes(n));

// x5c and jwk are judged below (refused: the fuzzed issuer has no trust store), never as free-form extras.
const HEADER_RESERVED = ['alg', 'typ', 'kid', 'crit', 'b64', 'zip', 'cty', 'x5c', 'jwk'];
const PAYLOAD_RESERVED = ['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'client_id', 'jti', 'scope'];

function headerMembers(alg: FuzzAlg): fc.Arbitrary<(Member | undefined)[]> {
  const otherAlgs = [
    'none',
    'NONE',
    'ES384',
    'RS256',
    'PS256',
    alg.toLowerCase(),
    `${alg} `,
    '',
    ...FUZZ_ALGS.filter((a) => a !== alg),
  ];
  const kidOk = (v: unknown) =>
    alg === 'HS256'
      ? typeof v === 'string' && v.length >= 1 && v.length <= 256 && v !== KIDS.ES256 && v !== KIDS.EdDSA
      : v === KIDS[alg];
  return fc
    .tuple(
      mostly<Member | undefined>(
        fc.constant({ name: 'alg', raw: json(alg), ok: true }),
        fc.oneof(
          judged(
            'alg',
            fc.oneof(fc.constantFrom(...otherAlgs), fc.integer(), fc.constant(null), fc.constant([alg])),
            () => false,
          ),
          missing('alg', false),
        ),
        25,
      ),
      maybe(
        judged(
          'typ',
          mostly<unknown>(
            fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt', 'AT+JWT'),
            fc.oneof(
              fc.constantFrom('id_token+jwt', 'dpop+jwt', '', 'application/', 'JWT '),
              fc.string({ maxLength: 8 }),
              fc.integer(),
              fc.constant(null),
            ),
          ),
          (v) => typeof v === 'string' && ['jwt', 'at+jwt'].includes(mediaType(v)),
        ),
      ),
      maybe(
        judged(
          'kid',
          fc.oneof(
            { weight: 24, arbitrary: fc.constant(KIDS[alg]) },
            // For HS256 most of these still reach the kid-less secret; for the others they name no key.
            {
              weight: 2,
              arbitrary: fc.constantFrom(
                'es',
                'ed',
                '__proto__',
                'constructor',
                '../../etc/passwd',
                '',
                "' OR 1=1--",
                '\u0000',
                '$(id)',
              ),
            },
            { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
            { weight: 1, arbitrary: fc.integer({ min: 200, max: 70000 }).map((n) => 'k'.repeat(n)) },
            {
              weight: 1,
              arbitrary: fc.oneof(
                fc.integer(),
                fc.constant(null),
                fc.constant({ $ne: null }),
                fc.array(fc.string({ maxLength: 3 })),
              ),
            },
          ),
          kidOk,
        ),
      ),
      mostly<Member | undefined>(
        fc.constant(undefined),
        fc.oneof(
          judged('crit', fc.constantFrom(['exp'], [], ['b64'], 'b64'), () => false),
          judged('b64', fc.constantFrom(true, false, 'false'), () => false),
          judged('zip', fc.constantFrom('DEF', ''), () => false),
          judged(
            'cty',
            fc.constantFrom(
              'JWT',
              'jwt',
              'application/jwt',
              'application/JWT',
              5,
              null,
              'application/json',
              'text/plain',
            ),
            (v) => typeof v === 'string' && v.toUpperCase() !== 'JWT' && v.toLowerCase() !== 'application/jwt',
          ),
        ),
      ),
      maybe(
        fc.oneof(
          judged('jku', fc.constant('http://127.0.0.1:9/jwks.json'), () => true),
          judged('x5u', fc.constant('http://127.0.0.1:9/cert.pem'), () => true),
          // Without a trust store a token that brings its own key is refused (ADR 016); jku / x5u are ignored.
          judged('jwk', fc.constant({ kty: 'oct', k: 'AAAA' }), () => false),
          judged('x5c', fc.constant(['MIIBIjANBgkq']), () => false),
          judged('x5t', fc.constant('q1ybFcdxpyRPbmA4W_MkLrVPlrc'), () => true),
        ),
      ),
      fc.array(fc.record({ name: extraName(HEADER_RESERVED), raw: hostileValue, ok: fc.constant(true) }), {
        maxLength: 2,
      }),
    )
    .map(([algMember, typ, kid, unsupported, ignored, extra]) => [algMember, typ, kid, unsupported, ignored, ...extra]);
}

function payloadMembers(): fc.Arbitrary<(Member | undefined)[]> {
  const audOk = (v: unknown) =>
    v === AUDIENCE ||
    (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string') && v.includes(AUDIENCE));
  return fc
    .tuple(
      mostly<Member | undefined>(
        fc.constant({ name: 'iss', raw: json(ISSUER), ok: true }),
        fc.oneof(
          judged(
            'iss',
            fc.constantFrom(`${ISSUER}/`, ISSUER.toUpperCase(), 'https://evil.test', [ISSUER], null, 5, ''),
            () => false,
          ),
          missing('iss', false),
        ),
        25,
      ),
      mostly<Member | undefined>(
        judged(
          'aud',
          fc.oneof(
            fc.constant(AUDIENCE),
            fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }).map((a) => [...a, AUDIENCE]),
          ),
          audOk,
        ),
        fc.oneof(
          judged(
            'aud',
            fc.oneof(
              fc.constantFrom('other', `${AUDIENCE}/`, AUDIENCE.toUpperCase(), [], null, 5),
              fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null), fc.constant(AUDIENCE)), {
                maxLength: 3,
              }),
            ),
            audOk,
          ),
          missing('aud', false),
        ),
      ),
      mostly<Member | undefined>(
        goodDate(NOW - SKEW + 1, NOW + 10_000_000).map((raw) => ({ name: 'exp', raw, ok: true })),
        fc.oneof(
          rawJudged('exp', dateRaw, (v) => isFiniteDate(v) && v > NOW - SKEW),
          missing('exp', false),
        ),
        8,
      ),
      maybe(rawJudged('nbf', mostly(goodDate(0, NOW + SKEW), dateRaw, 8), (v) => isFiniteDate(v) && v <= NOW + SKEW)),
      maybe(rawJudged('iat', mostly(goodDate(0, NOW + SKEW), dateRaw, 8), (v) => isFiniteDate(v) && v <= NOW + SKEW)),
      // sub is required and non-empty by default (RFC 9068 2.2).
      mostly<Member | undefined>(
        judged('sub', stringish, (v) => typeof v === 'string' && v !== ''),
        missing('sub', false),
        8,
      ),
      maybe(judged('client_id', stringish, (v) => typeof v === 'string')),
      maybe(judged('jti', stringish, (v) => typeof v === 'string')),
      maybe(judged('scope', stringish, (v) => typeof v === 'string')),
      fc.array(fc.record({ name: extraName(PAYLOAD_RESERVED), raw: hostileValue, ok: fc.constant(true) }), {
        maxLength: 4,
      }),
    )
    .map(([iss, aud, exp, nbf, iat, sub, clientId, jti, scope, extra]) => [
      iss,
      aud,
      exp,
      nbf,
      iat,
      sub,
      clientId,
      jti,
      scope,
      ...extra,
    ]);
}

interface JsonObjectText {
  readonly text: string;
  /** Names of members the verifier must refuse. */
  readonly problems: readonly string[];
}

const whitespace = fc.constantFrom('', '', '', ' ', '\n', '\t', '\r\n  ');

function objectText(members: fc.Arbitrary<(Member | undefined)[]>): fc.Arbitrary<JsonObjectText> {
  return fc
    .tuple(members, whitespace, mostly(fc.constant(undefined), fc.nat(), 20), fc.boolean(), fc.nat({ max: 20 }))
    .map(([list, ws, duplicateOf, bom, shift]) => {
      const present = list.filter((m): m is Member => m !== undefined && m.raw !== '');
      // Occasionally rotate the members, so a member's position does not decide anything.
      const ordered =
        present.length > 1
          ? [...present.slice(shift % present.length), ...present.slice(0, shift % present.length)]
          : present;
      const problems = list.filter((m): m is Member => m !== undefined && !m.ok).map((m) => m.name);
      const repeated = duplicateOf !== undefined && ordered.length > 0 ? [ordered[duplicateOf % ordered.length]] : [];
      const text = `{${ws}${[...ordered, ...repeated].map((m) => `${json(m.name)}${ws}:${ws}${m.raw}`).join(`,${ws}`)}${ws}}`;
      const parsed: unknown = JSON.parse(text);
      if (hasDuplicateMembers(text)) problems.push('(duplicate member)');
      if (jsonDepth(parsed) > MAX_DEPTH) problems.push('(nesting too deep)');
      if (bom && shift === 0) problems.push('(byte order mark)');
      return { text: bom && shift === 0 ? `\ufeff${text}` : text, problems };
    });
}

interface HostileToken {
  readonly alg: FuzzAlg;
  readonly header: JsonObjectText;
  readonly payload: JsonObjectText;
}

const hostileToken: fc.Arbitrary<HostileToken> = fc
  .constantFrom(...FUZZ_ALGS)
  .chain((alg) =>
    fc.record({ alg: fc.constant(alg), header: objectText(headerMembers(alg)), payload: objectText(payloadMembers()) }),
  );

interface TokenEdit {
  readonly op: 'insert' | 'delete' | 'replace';
  readonly at: number;
  readonly char: string;
}

const tokenEdits = fc.tuple(
  fc.nat({ max: FUZZ_ALGS.length - 1 }),
  fc.array(
    fc.record({
      op: fc.constantFrom<TokenEdit['op']>('insert', 'delete', 'replace'),
      at: fc.nat(),
      char: fc.oneof({ weight: 4, arbitrary: b64urlChar }, { weight: 1, arbitrary: tokenChar }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
);

function applyEdits(token: string, edits: readonly TokenEdit[]): string {
  let out = token;
  for (const { op, at, char } of edits) {
    const i = at % (out.length + (op === 'insert' ? 1 : 0) || 1);
    if (op === 'insert') out = out.slice(0, i) + char + out.slice(i);
    else if (op === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else out = out.slice(0, i) + char + out.slice(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Targets

/** What a target's property may report about each run, for a watchdog in another thread. */
export type RunProbe = () => void;

interface TargetContext {
  readonly env: FuzzEnvironment;
  readonly maxCallMs: number;
  readonly stats: CallStats;
  readonly probe: RunProbe;
}

/** A fuzz target: a fast-check property over one kind of hostile input. */
export interface FuzzTarget {
  readonly name: string;
  readonly property: string;
  build(context: TargetContext): fc.IRawProperty<never>;
}

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  {
    name: 'strict-json',
    property:
      'parseStrictJson throws nothing but StrictJsonError; it rejects exactly what JSON.parse rejects plus duplicate names and nesting beyond 20, and otherwise returns the same value',
    build: ({ stats, maxCallMs, probe }) =>
      fc.property(strictJsonInput, (text) => {
        probe();
        let expected: Settled<unknown>;
        try {
          expected = { ok: true, value: JSON.parse(text) };
        } catch (error) {
          expected = { ok: false, error };
        }
        const mustReject = !expected.ok || hasDuplicateMembers(text) || jsonDepth(expected.value) > MAX_DEPTH;
        const started = performance.now();
        let actual: Settled<unknown>;
        try {
          actual = { ok: true, value: parseStrictJson(text) };
        } catch (error) {
          if (!(error instanceof StrictJsonError))
            throw new FuzzFailure(`parseStrictJson threw ${describeThrown(error)}`);
          actual = { ok: false, error };
        }
        stats.record(performance.now() - started, maxCallMs, 'parseStrictJson');
        checkNoPollution();
        if (mustReject && actual.ok)
          throw new FuzzFailure(
            'parseStrictJson accepted input that is invalid JSON, has a duplicate name, or nests too deep',
          );
        stats.count(actual.ok ? 'parsed' : 'rejected');
        if (!mustReject && !actual.ok)
          throw new FuzzFailure(
            `parseStrictJson rejected JSON that JSON.parse accepts (${describeThrown(actual.error)})`,
          );
        if (expected.ok && actual.ok && !sameJson(actual.value, expected.value))
          throw new FuzzFailure('parseStrictJson returned a different value than JSON.parse');
        return true;
      }) as unknown as fc.IRawProperty<never>,
  },
  {
    name: 'verify-arbitrary-strings',
    property:
      'verify and verifyCompactJws reject arbitrary strings with an AuthError (known code, status 400/401/403), in bounded time',
    build: ({ env, stats, maxCallMs, probe }) =>
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: tokenChar, maxLength: 160 }),
          fc
            .array(fc.string({ unit: b64urlChar, maxLength: 60 }), { minLength: 1, maxLength: 7 })
            .map((parts) => parts.join('.')),
          fc.constantFrom('', '.', '..', '...', '....', 'a.b.c', 'Bearer a.b.c', 'e30.e30.e30', 'e30.e30.'),
        ),
        async (token) => {
          probe();
          await expectRejected(env, token, maxCallMs, stats);
          return true;
        },
      ) as unknown as fc.IRawProperty<never>,
  },
  {
    name: 'verify-random-segments',
    property:
      'random bytes as base64url segments (1 to 6, sometimes under a valid header and signature) are rejected by verify with an AuthError; verifyCompactJws accepts exactly the validly signed ones',
    build: ({ env, stats, maxCallMs, probe }) =>
      fc.asyncProperty(
        fc.record({
          parts: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }),
          header: fc.constantFrom('random', 'hs256', 'es256'),
          signed: fc.boolean(),
        }),
        async ({ parts, header, signed }) => {
          probe();
          const segments = parts.map((bytes) => b64u(bytes));
          if (header !== 'random') segments[0] = b64u(json({ alg: header === 'hs256' ? 'HS256' : 'ES256' }));
          const sign = signed && segments.length === 3;
          if (sign)
            segments[2] = env.signers[header === 'es256' ? 'ES256' : 'HS256'](`${segments[0]}.${segments[1]}`).toString(
              'base64url',
            );
          // The JWS-level check holds only the ES256 key (HMAC secrets are not among its keys); a JWS needs a payload.
          const validJws = sign && header === 'es256' && segments[1].length > 0;
          await expectRejected(env, segments.join('.'), maxCallMs, stats, validJws);
          return true;
        },
      ) as unknown as fc.IRawProperty<never>,
  },
  {
    name: 'verify-hostile-claims',
    property:
      'correctly signed tokens with hostile headers and payloads (deep nesting, huge numbers, unicode, __proto__, long kids, bad types, duplicates, BOM): verify accepts exactly those the generator knows are valid, rejects the rest with an AuthError, never pollutes prototypes',
    build: ({ env, stats, maxCallMs, probe }) =>
      fc.asyncProperty(hostileToken, async ({ alg, header, payload }) => {
        probe();
        const input = `${b64u(header.text)}.${b64u(payload.text)}`;
        const token = `${input}.${env.signers[alg](input).toString('base64url')}`;
        const problems = [...header.problems.map((p) => `header ${p}`), ...payload.problems.map((p) => `payload ${p}`)];
        if (token.length > MAX_TOKEN_LENGTH) problems.push('(token too long)');
        const verified = await settle<AuthPrincipal>(() => env.verifier.verify(token), maxCallMs, 'verify', stats);
        checkNoPollution();
        stats.count(verified.ok ? 'accepted' : verified.error instanceof AuthError ? verified.error.code : 'other');
        if (verified.ok) {
          if (problems.length > 0)
            throw new FuzzFailure(`verify accepted a ${alg} token with problems: ${problems.join(', ')}`);
          const principal = verified.value;
          if (
            principal.issuer !== ISSUER ||
            Object.getPrototypeOf(principal) !== null ||
            !Object.isFrozen(principal.claims) ||
            Object.getPrototypeOf(principal.claims) !== null
          ) {
            throw new FuzzFailure('the principal is not a frozen null-prototype object of the configured issuer');
          }
          return true;
        }
        const error = checkAuthError(verified.error, 'verify');
        if (problems.length === 0) throw new FuzzFailure(`verify rejected a valid ${alg} token with ${error.code}`);
        return true;
      }) as unknown as fc.IRawProperty<never>,
  },
  {
    name: 'verify-token-edits',
    property:
      'any edit of a valid token (insert, delete or replace up to 3 characters) is rejected: canonical base64url leaves no equivalent spelling',
    build: ({ env, stats, maxCallMs, probe }) =>
      fc.asyncProperty(tokenEdits, async ([index, edits]) => {
        probe();
        const original = env.validTokens[index];
        const token = applyEdits(original, edits);
        if (token === original) {
          const verified = await settle(() => env.verifier.verify(token), maxCallMs, 'verify', stats);
          if (!verified.ok)
            throw new FuzzFailure(`verify rejected an unedited valid token with ${describeThrown(verified.error)}`);
          return true;
        }
        await expectRejected(env, token, maxCallMs, stats);
        return true;
      }) as unknown as fc.IRawProperty<never>,
  },
];

/** Options of one fuzz run of one target. */
export interface FuzzRunOptions {
  readonly seed: number;
  /** Stop after this many runs. @default unlimited when timeLimitMs is set, else 100 */
  readonly numRuns?: number;
  /** Stop after this long (the run then counts as passed). */
  readonly timeLimitMs?: number;
  /** Replay one input: the fast-check path printed with a failure. */
  readonly path?: string;
  /** A single call slower than this fails the run. @default 5000 */
  readonly maxCallMs?: number;
  /** Called at the start of every run (for a watchdog). */
  readonly probe?: RunProbe;
}

/** The outcome of fuzzing one target. */
export interface FuzzTargetReport {
  readonly target: string;
  readonly seed: number;
  readonly runs: number;
  readonly ms: number;
  readonly slowestCallMs: number;
  /** How often each outcome occurred (`accepted`, or the rejection code). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Set when the property failed: replay with the same seed and this path. */
  readonly failure?: { readonly path: string; readonly error: string };
}

/** Run one target with fast-check and report; never throws for a property failure (it is in the report). */
export async function runFuzzTarget(target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzTargetReport> {
  const stats = new CallStats();
  const started = performance.now();
  const property = target.build({
    env: fuzzEnvironment(),
    maxCallMs: options.maxCallMs ?? 5000,
    stats,
    probe: options.probe ?? (() => undefined),
  });
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.numRuns ?? (options.timeLimitMs !== undefined ? Number.MAX_SAFE_INTEGER : 100),
    path: options.path,
    plugins: options.timeLimitMs !== undefined ? [fc.interruptAfterTimeLimit(options.timeLimitMs)] : [],
  });
  const report = {
    target: target.name,
    seed: options.seed,
    runs: details.numRuns,
    ms: Math.round(performance.now() - started),
    slowestCallMs: Math.round(stats.maxMs),
    outcomes: stats.outcomes,
  };
  if (!details.failed) return report;
  return {
    ...report,
    failure: { path: details.counterexamplePath ?? '', error: describeThrown(details.errorInstance) },
  };
}
