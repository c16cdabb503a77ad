import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { jwtVerify, type JWSHeaderParameters, type JWTVerifyOptions } from 'jose';
import { AccessTokenVerifier, AuthError, JwtAuthConfigError, type IssuerOptions } from '../../src';
import { hasDuplicateMembers, jsonDepth } from '../../fuzz/json-oracle';
import { b64u, forge, SeededRandom, type ForgeKey } from '../support/jws-forge';

// Differential test: the same tokens through our AccessTokenVerifier and through jose.jwtVerify configured alike.
// The verdicts must match, except for the documented classes below where we are stricter (never the other way).

jest.setTimeout(60_000);

const SEED = Number(process.env['DIFFERENTIAL_SEED'] ?? 0x5eed2025);
const SAMPLE = 3000;
const NOW = 1_750_000_000;
const SKEW = 60;
const ISSUER = 'https://id.differential.test';
const AUDIENCE = 'orders-api';
const MAX_NUMERIC_DATE = 253402300799;
const MAX_TOKEN_LENGTH = 8192;

type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';
type AsymmetricAlg = Exclude<Alg, 'HS256'>;
type Scenario = 'standard' | 'rsa-e1' | 'short-hmac' | 'rsa-1024';
type Verdict = 'accept' | 'reject';
type Json = Record<string, unknown>;

const ALGS: readonly Alg[] = ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'];
const ASYMMETRIC: readonly AsymmetricAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const KIDS: Readonly<Record<AsymmetricAlg, string>> = { RS256: 'rs-1', PS256: 'ps-1', ES256: 'es-1', EdDSA: 'ed-1' };

function keyPair(alg: AsymmetricAlg, modulusLength = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('rsa', { modulusLength });
}

// Keys are generated per run; the attacker's keys have the same types and kids.
const KEYS = Object.fromEntries(ASYMMETRIC.map((alg) => [alg, keyPair(alg)])) as Record<
  AsymmetricAlg,
  ReturnType<typeof keyPair>
>;
const ATTACKER = Object.fromEntries(ASYMMETRIC.map((alg) => [alg, keyPair(alg)])) as Record<
  AsymmetricAlg,
  ReturnType<typeof keyPair>
>;
const SECRET = randomBytes(64);
const ATTACKER_SECRET = randomBytes(64);
const signingKey = (alg: Alg): ForgeKey => (alg === 'HS256' ? SECRET : KEYS[alg].privateKey);

/** A parsed view of a token, decoded leniently (as jose would), for the difference classes to inspect. */
interface TokenView {
  readonly raw: string;
  readonly segments: readonly string[];
  readonly header: Json | undefined;
  readonly payload: Json | undefined;
  readonly hasBom: boolean;
  readonly duplicateMembers: boolean;
  readonly depth: number;
}

interface DifferenceClass {
  readonly id: string;
  readonly reason: string;
  readonly applies: (token: TokenView, scenario: Scenario) => boolean;
}

const badDate = (value: unknown): boolean =>
  typeof value === 'number' && (!Number.isFinite(value) || value < 0 || value > MAX_NUMERIC_DATE);
const mediaType = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');

/**
 * Where our verifier is deliberately stricter than jose (configured equivalently). A disagreement is allowed only
 * when one of these applies to the token, and whenever one applies our verdict must be "reject".
 */
const STRICTER_THAN_JOSE: readonly DifferenceClass[] = [
  {
    id: 'token-too-long',
    reason:
      'longer than maxTokenLength (8192), refused before decoding (SECURITY.md "token length bounded"); jose has no limit',
    applies: (t) => t.raw.length > MAX_TOKEN_LENGTH,
  },
  {
    id: 'whitespace-in-segment',
    reason: 'jose decodes with atob, which drops ASCII whitespace inside a segment; RFC 7515 base64url has none',
    applies: (t) => t.segments.some((s) => /[\t\n\f\r ]/.test(s)),
  },
  {
    id: 'base64-padding',
    reason: "jose (atob) accepts '=' padding; RFC 7515 section 2 base64url omits it",
    applies: (t) => t.segments.some((s) => s.includes('=')),
  },
  {
    id: 'non-canonical-base64url',
    reason:
      'non-zero unused bits in the last character decode to the same bytes in jose; SECURITY.md wants one encoding per byte string',
    applies: (t) =>
      t.segments.some((s) => /^[A-Za-z0-9_-]+$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') !== s),
  },
  {
    id: 'duplicate-json-members',
    reason:
      'JSON.parse keeps the last duplicate, so {"alg":"none","alg":"ES256"} or two "iss" verify in jose; we refuse duplicate names',
    applies: (t) => t.duplicateMembers,
  },
  {
    id: 'byte-order-mark',
    reason: "jose's TextDecoder strips a leading UTF-8 BOM; SECURITY.md refuses it",
    applies: (t) => t.hasBom,
  },
  {
    id: 'json-nesting-depth',
    reason: 'nesting beyond 20 levels is refused by the bounded parser; jose parses whatever JSON.parse survives',
    applies: (t) => t.depth > 20,
  },
  {
    id: 'numeric-date-range',
    reason:
      'exp/nbf/iat must be finite and within [0, 253402300799]; jose accepts exp 1e400 (Infinity, never expires), 2^53+1, year 10000 and negative nbf/iat',
    applies: (t) => ['exp', 'nbf', 'iat'].some((claim) => badDate(t.payload?.[claim])),
  },
  {
    id: 'iat-in-future',
    reason: 'iat later than now + skew is refused (SECURITY.md); jose checks iat only when maxTokenAge is set',
    applies: (t) => typeof t.payload?.['iat'] === 'number' && (t.payload['iat'] as number) > NOW + SKEW,
  },
  {
    id: 'typ-not-access-token',
    reason:
      'explicit non-access-token types (id_token+jwt, dpop+jwt, ...) and non-string typ are refused (RFC 8725 3.11); jose checks typ only when asked',
    applies: (t) => {
      const typ = t.header?.['typ'];
      return typ !== undefined && (typeof typ !== 'string' || !['jwt', 'at+jwt'].includes(mediaType(typ)));
    },
  },
  {
    id: 'unsupported-header-member',
    reason:
      'crit (any), b64 (even true), zip and cty: JWT are refused; jose honours crit: ["b64"] and ignores b64/zip/cty without crit',
    applies: (t) => {
      const h = t.header ?? {};
      const cty = h['cty'];
      return (
        h['crit'] !== undefined ||
        h['b64'] !== undefined ||
        h['zip'] !== undefined ||
        (cty !== undefined &&
          (typeof cty !== 'string' || cty.toUpperCase() === 'JWT' || cty.toLowerCase() === 'application/jwt'))
      );
    },
  },
  {
    id: 'embedded-key-without-trust-store',
    reason:
      'x5c and jwk are refused on an issuer without a trust store (the token brings its own key; ADR 016); jose ignores them',
    applies: (t) => t.header?.['x5c'] !== undefined || t.header?.['jwk'] !== undefined,
  },
  {
    id: 'kid-not-bounded-string',
    reason:
      'kid must be a string of 1 to 256 characters, used only as an exact Map key; jose passes any value to the key resolver',
    applies: (t) => {
      const kid = t.header?.['kid'];
      return kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256);
    },
  },
  {
    id: 'aud-non-string-member',
    reason:
      'aud must be a string or an array of strings only (RFC 7519 4.1.3); jose accepts an array that also holds non-strings',
    applies: (t) =>
      Array.isArray(t.payload?.['aud']) && (t.payload['aud'] as unknown[]).some((a) => typeof a !== 'string'),
  },
  {
    id: 'claim-type',
    reason:
      'sub, client_id, jti and scope must be strings when present, so a misissued token is noticed; jose does not look at them',
    applies: (t) =>
      ['sub', 'client_id', 'jti', 'scope'].some(
        (claim) => t.payload?.[claim] !== undefined && typeof t.payload[claim] !== 'string',
      ),
  },
  {
    id: 'subject-required',
    reason:
      'sub is required as a non-empty string by default (RFC 9068 2.2), so an app keying data by sub never sees two callers share an absent one; jose requires it only when told to',
    applies: (t) => t.payload !== undefined && (t.payload['sub'] === undefined || t.payload['sub'] === ''),
  },
  {
    id: 'rsa-exponent-1',
    reason:
      'an RSA key with e=1 refuses to configure (the signature is the padded digest: anyone can forge); jose verifies with it',
    applies: (_t, scenario) => scenario === 'rsa-e1',
  },
  {
    id: 'short-hmac-secret',
    reason:
      'an HMAC secret shorter than the hash output (RFC 7518 3.2) refuses to configure; jose accepts a 16-byte secret',
    applies: (_t, scenario) => scenario === 'short-hmac',
  },
];

function decodeLenient(segment: string | undefined): { bytes: Buffer; value: unknown; text: string } {
  const bytes = Buffer.from((segment ?? '').replace(/\s/g, ''), 'base64url');
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return { bytes, value: JSON.parse(text), text };
  } catch {
    return { bytes, value: undefined, text };
  }
}

const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

function view(raw: string): TokenView {
  const segments = raw.split('.');
  const [header, payload] = [decodeLenient(segments[0]), decodeLenient(segments[1])];
  const bom = (bytes: Buffer) => bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]));
  return {
    raw,
    segments,
    header: asObject(header.value),
    payload: asObject(payload.value),
    hasBom: bom(header.bytes) || bom(payload.bytes),
    duplicateMembers: [header, payload].some((part) => part.value !== undefined && hasDuplicateMembers(part.text)),
    depth: Math.max(jsonDepth(header.value), jsonDepth(payload.value)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Equivalent configurations

const JOSE_OPTIONS: JWTVerifyOptions = {
  algorithms: [...ALGS],
  issuer: ISSUER,
  audience: AUDIENCE,
  clockTolerance: SKEW,
  currentDate: new Date(NOW * 1000),
  // Our verifier always requires exp; jose does when told to. typ is not required on either side.
  requiredClaims: ['exp'],
};

interface KeyEntry {
  readonly kid: string | undefined;
  readonly alg: string;
  readonly key: KeyObject | Uint8Array;
}

/**
 * The deployment's key configuration, given to jose as a key resolver with the StaticKeySource contract: a kid
 * selects exactly that key (keys configured without a kid serve unknown kids), no kid selects by alg, and each key
 * verifies the one alg it is configured for.
 */
function joseKeyResolver(entries: readonly KeyEntry[]) {
  return async (header: JWSHeaderParameters): Promise<KeyObject | Uint8Array> => {
    const named = header.kid === undefined ? entries : entries.filter((entry) => entry.kid === header.kid);
    const pool =
      header.kid === undefined || named.length > 0 ? named : entries.filter((entry) => entry.kid === undefined);
    const fit = pool.filter((entry) => entry.alg === header.alg);
    if (fit.length === 0) throw new Error('no key for this kid and alg');
    return fit[0].key;
  };
}

function ourVerifier(issuer: Partial<IssuerOptions>): AccessTokenVerifier {
  return new AccessTokenVerifier({
    now: () => NOW * 1000,
    clockTolerance: SKEW,
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, ...issuer }],
  });
}

// RSA with e = 1: the "signature" of a message is its own EMSA-PKCS1-v1_5 encoding, so anyone can produce one.
const E1_JWK = { ...(KEYS.RS256.publicKey.export({ format: 'jwk' }) as Json), e: 'AQ', kid: 'e1', alg: 'RS256' };
function forgeUnderE1(header: object, payload: object): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  const digest = createHash('sha256').update(input).digest();
  const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]);
  const em = Buffer.concat([
    Buffer.from([0x00, 0x01]),
    Buffer.alloc(256 - digestInfo.length - 3, 0xff),
    Buffer.from([0x00]),
    digestInfo,
  ]);
  return `${input}.${em.toString('base64url')}`;
}
const SHORT_SECRET = randomBytes(16);
const RSA_1024 = keyPair('RS256', 1024);

interface ScenarioSetup {
  readonly ours: AccessTokenVerifier | JwtAuthConfigError;
  readonly joseKey: ReturnType<typeof joseKeyResolver>;
}

function refusedConfiguration(issuer: Partial<IssuerOptions>): JwtAuthConfigError {
  try {
    ourVerifier(issuer);
  } catch (error) {
    if (error instanceof JwtAuthConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was expected to be refused');
}

const SCENARIOS: Readonly<Record<Scenario, ScenarioSetup>> = {
  standard: {
    ours: ourVerifier({
      algorithms: [...ALGS],
      keys: ASYMMETRIC.map((alg) => ({ key: KEYS[alg].publicKey, kid: KIDS[alg], alg })),
      secret: SECRET,
    }),
    joseKey: joseKeyResolver([
      ...ASYMMETRIC.map((alg) => ({ kid: KIDS[alg], alg, key: KEYS[alg].publicKey })),
      { kid: undefined, alg: 'HS256', key: new Uint8Array(SECRET) },
    ]),
  },
  'rsa-e1': {
    ours: refusedConfiguration({ algorithms: ['RS256'], keys: E1_JWK }),
    joseKey: joseKeyResolver([{ kid: 'e1', alg: 'RS256', key: createPublicKey({ key: E1_JWK, format: 'jwk' }) }]),
  },
  'short-hmac': {
    ours: refusedConfiguration({ algorithms: ['HS256'], secret: SHORT_SECRET }),
    joseKey: joseKeyResolver([{ kid: undefined, alg: 'HS256', key: new Uint8Array(SHORT_SECRET) }]),
  },
  'rsa-1024': {
    ours: refusedConfiguration({
      algorithms: ['RS256'],
      keys: [{ key: RSA_1024.publicKey, kid: 'small', alg: 'RS256' }],
    }),
    joseKey: joseKeyResolver([{ kid: 'small', alg: 'RS256', key: RSA_1024.publicKey }]),
  },
};

async function ourVerdict(scenario: Scenario, token: string): Promise<Verdict> {
  const verifier = SCENARIOS[scenario].ours;
  // A refused configuration never boots, so it accepts nothing.
  if (verifier instanceof JwtAuthConfigError) return 'reject';
  try {
    await verifier.verify(token);
    return 'accept';
  } catch (error) {
    if (error instanceof AuthError) return 'reject';
    throw error;
  }
}

async function joseVerdict(scenario: Scenario, token: string): Promise<Verdict> {
  try {
    await jwtVerify(token, SCENARIOS[scenario].joseKey, JOSE_OPTIONS);
    return 'accept';
  } catch {
    return 'reject';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Token generation: valid tokens and mutations of them

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

interface Mint {
  readonly alg: Alg;
  readonly header: Json;
  readonly claims: Json;
  readonly rng: SeededRandom;
}

const json = (value: unknown): string => JSON.stringify(value);
const seg = (value: string | object): string => b64u(typeof value === 'string' ? value : json(value));
const withRaw = (claims: Json, name: string, raw: string | undefined): string => {
  if (raw === undefined) return json(Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name)));
  return json({ ...claims, [name]: '\u0000RAW\u0000' }).replace('"\\u0000RAW\\u0000"', raw);
};
const signed = (
  m: Mint,
  header: string | object,
  payload: string | object,
  alg: string = m.alg,
  key: ForgeKey = signingKey(m.alg),
): string =>
  forge(
    alg,
    key,
    typeof header === 'string' ? header : seg(header),
    typeof payload === 'string' ? payload : seg(payload),
  );
const valid = (m: Mint): string => signed(m, m.header, m.claims);

function replaceSegment(token: string, index: number, next: string): string {
  const parts = token.split('.');
  parts[index] = next;
  return parts.join('.');
}

function flipBit(segment: string, rng: SeededRandom): string {
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.length === 0) return segment;
  const bit = rng.int(bytes.length * 8);
  bytes[bit >> 3] ^= 1 << (bit & 7);
  return bytes.toString('base64url');
}

function reencode(segment: string, rng: SeededRandom): string {
  switch (rng.int(6)) {
    case 0:
      return segment + '='.repeat((4 - (segment.length % 4)) % 4 || 1);
    case 1: {
      const at = 1 + rng.int(segment.length - 1);
      return `${segment.slice(0, at)}${rng.pick([' ', '\t', '\n', '\r', '\f'])}${segment.slice(at)}`;
    }
    case 2: {
      // Change only unused low bits of the last character (where it has any): same bytes, non-canonical text.
      const unused = segment.length % 4 === 2 ? 15 : segment.length % 4 === 3 ? 3 : 0;
      if (unused === 0) return `${segment} `;
      const last = ALPHABET.indexOf(segment[segment.length - 1]);
      return segment.slice(0, -1) + ALPHABET[(last & ~unused) | (1 + rng.int(unused))];
    }
    case 3:
      return segment.replace(/-/g, '+').replace(/_/g, '/');
    case 4:
      return ` ${segment}`;
    default:
      return `${segment}\n`;
  }
}

function nested(depth: number, rng: SeededRandom): unknown {
  let value: unknown = rng.pick([1, 'x', null, true]);
  for (let i = 0; i < depth; i++) value = rng.chance(0.5) ? [value] : { k: value };
  return value;
}

type Mutation = (m: Mint) => string;

/** Each mutation starts from a fresh valid token; weights keep every difference class well represented. */
const MUTATIONS: readonly (readonly [string, number, Mutation])[] = [
  ['valid', 6, valid],
  [
    'bit-flip',
    4,
    (m) => {
      const token = valid(m);
      const index = m.rng.int(3);
      return replaceSegment(token, index, flipBit(token.split('.')[index], m.rng));
    },
  ],
  [
    'character-swap',
    3,
    (m) => {
      const token = valid(m);
      const index = m.rng.int(3);
      const part = token.split('.')[index];
      const at = m.rng.chance(0.5) ? part.length - 1 : m.rng.int(part.length);
      const swapped = ALPHABET[(ALPHABET.indexOf(part[at]) + 1 + m.rng.int(63)) % 64];
      return replaceSegment(token, index, part.slice(0, at) + swapped + part.slice(at + 1));
    },
  ],
  [
    'signature-truncated-or-stripped',
    2,
    (m) => {
      const token = valid(m);
      const sig = token.split('.')[2];
      return replaceSegment(token, 2, m.rng.chance(0.3) ? '' : sig.slice(0, sig.length - 1 - m.rng.int(8)));
    },
  ],
  [
    'signature-re-encoded',
    5,
    (m) => {
      const token = valid(m);
      return replaceSegment(token, 2, reencode(token.split('.')[2], m.rng));
    },
  ],
  [
    'segment-re-encoded-and-resigned',
    6,
    (m) => {
      const parts = [seg(m.header), seg(m.claims)];
      const index = m.rng.int(2);
      parts[index] = reencode(parts[index], m.rng);
      return signed(m, parts[0], parts[1]);
    },
  ],
  [
    'duplicate-member',
    6,
    (m) => {
      if (m.rng.chance(0.4)) {
        const first = m.rng.pick([json('none'), json(m.alg), json('HS256'), json('RS256')]);
        const name = m.rng.pick(['alg', 'alg', 'typ', 'kid']);
        const value = name === 'alg' ? first : name === 'typ' ? json('id_token+jwt') : json('../../evil');
        const header = json(m.header).replace(/^\{/, `{"${name}":${value},`);
        return signed(m, seg(header), m.claims);
      }
      const [name, value] = m.rng.pick([
        ['iss', json('https://evil.test')],
        ['exp', String(NOW - 3600)],
        ['exp', String(NOW + 600)],
        ['aud', json('someone-else')],
        ['sub', json('admin')],
      ] as const);
      const payload = m.rng.chance(0.5)
        ? json(m.claims).replace(/^\{/, `{"${name}":${value},`)
        : json(m.claims).replace(/\}$/, `,"${name}":${value}}`);
      return signed(m, m.header, seg(payload));
    },
  ],
  [
    'byte-order-mark',
    2,
    (m) =>
      m.rng.chance(0.5)
        ? signed(m, seg(`\uFEFF${json(m.header)}`), m.claims)
        : signed(m, m.header, seg(`\uFEFF${json(m.claims)}`)),
  ],
  [
    'json-formatting',
    2,
    (m) =>
      signed(
        m,
        seg(JSON.stringify(m.header, null, m.rng.pick([1, 2, '\t']))),
        seg(JSON.stringify(m.claims, null, '\n ')),
      ),
  ],
  [
    'unicode-and-escapes',
    3,
    (m) => {
      const extra = m.rng.pick([
        '"name":"\\u00e9\\u4e2d\\ud83d\\ude00"',
        '"name":"\\ud800"',
        '"name":"😀 ünïcödé"',
        '"__proto__":{"iss":"https://evil.test","admin":true}',
        '"constructor":{"prototype":{"admin":true}}',
        '"name":"\\"\\\\\\/\\b\\f\\n\\r\\t"',
      ]);
      return signed(m, m.header, seg(json(m.claims).replace(/^\{/, `{${extra},`)));
    },
  ],
  ['deep-nesting', 3, (m) => signed(m, m.header, { ...m.claims, ctx: nested(1 + m.rng.int(40), m.rng) })],
  [
    'numeric-dates',
    8,
    (m) => {
      const name = m.rng.pick(['exp', 'exp', 'nbf', 'iat']);
      const raw = m.rng.pick([
        '1e400',
        '-1e400',
        String(MAX_NUMERIC_DATE + 1),
        '9007199254740993',
        '1e308',
        '-1',
        '-0',
        '0',
        '1e-7',
        'null',
        'true',
        '[1]',
        json(String(NOW + 300)),
        String(NOW - SKEW - 1),
        String(NOW - SKEW),
        String(NOW - SKEW + 1),
        String(NOW + SKEW),
        String(NOW + SKEW + 1),
        String(NOW + 300.5),
        `${(NOW + 300) / 1e9}e9`,
        undefined,
      ]);
      return signed(m, m.header, seg(withRaw(m.claims, name, raw)));
    },
  ],
  [
    'issuer-and-audience',
    5,
    (m) => {
      const [name, raw] = m.rng.pick([
        ['iss', json('https://evil.test')],
        ['iss', json(`${ISSUER}/`)],
        ['iss', json(ISSUER.toUpperCase())],
        ['iss', json([ISSUER])],
        ['iss', 'null'],
        ['iss', undefined],
        ['aud', json('someone-else')],
        ['aud', json(`${AUDIENCE}/`)],
        ['aud', json(AUDIENCE.toUpperCase())],
        ['aud', json([AUDIENCE])],
        ['aud', json(['x', AUDIENCE])],
        ['aud', json([AUDIENCE, 5])],
        ['aud', json([null, AUDIENCE])],
        ['aud', json([[AUDIENCE]])],
        ['aud', '[]'],
        ['aud', 'null'],
        ['aud', undefined],
      ] as const);
      return signed(m, m.header, seg(withRaw(m.claims, name, raw)));
    },
  ],
  [
    'claim-types',
    3,
    (m) => {
      const [name, raw] = m.rng.pick([
        ['sub', '5'],
        ['sub', 'null'],
        ['sub', json(['a'])],
        ['client_id', '7'],
        ['jti', '{}'],
        ['scope', '5'],
        ['scope', json(['orders:read'])],
        ['scp', json(['orders:read'])],
        ['sub', json('')],
      ] as const);
      return signed(m, m.header, seg(withRaw(m.claims, name, raw)));
    },
  ],
  [
    'header-members',
    10,
    (m) => {
      const [name, value] = m.rng.pick<readonly [string, unknown]>([
        ['typ', 'id_token+jwt'],
        ['typ', 'application/dpop+jwt'],
        ['typ', 'secevent+jwt'],
        ['typ', 'JOSE'],
        ['typ', ''],
        ['typ', 5],
        ['typ', 'application/JWT'],
        ['typ', 'At+JwT'],
        ['crit', ['exp']],
        ['crit', ['b64']],
        ['crit', []],
        ['b64', true],
        ['b64', false],
        ['zip', 'DEF'],
        ['cty', 'JWT'],
        ['cty', 'application/jwt'],
        ['cty', 'jwt'],
        ['cty', 'application/json'],
        ['cty', 7],
        ['jku', 'https://evil.test/jwks.json'],
        ['x5u', 'https://evil.test/cert.pem'],
        ['jwk', { kty: 'oct', k: b64u(ATTACKER_SECRET) }],
        ['x5c', ['MIIB']],
        ['x5t', 'abc'],
        ['kid', 'unknown-kid'],
        ['kid', '../../../etc/passwd'],
        ['kid', "' OR 1=1 --"],
        ['kid', '__proto__'],
        ['kid', 'x'.repeat(257)],
        ['kid', 'x'.repeat(256)],
        ['kid', ''],
        ['kid', 5],
        ['kid', { $ne: null }],
        ['kid', null],
      ]);
      const header: Json = { ...m.header, [name]: value };
      if (name === 'crit' && Array.isArray(value) && value.includes('b64')) header['b64'] = true;
      return signed(m, header, m.claims);
    },
  ],
  [
    'alg-swap',
    6,
    (m) => {
      const rsa = KEYS.RS256;
      const publicMaterial = m.alg === 'HS256' ? rsa.publicKey : KEYS[m.alg].publicKey;
      const variant = m.rng.int(5);
      if (variant === 0) {
        const none = m.rng.pick(['none', 'None', 'NONE', 'nOnE']);
        const token = signed(m, { ...m.header, alg: none }, m.claims);
        return m.rng.chance(0.5) ? replaceSegment(token, 2, '') : token;
      }
      if (variant === 1) {
        // HMAC keyed with the issuer's public key, as PEM, DER or JWK text.
        const secret = m.rng.pick([
          Buffer.from(publicMaterial.export({ type: 'spki', format: 'pem' }) as string),
          publicMaterial.export({ type: 'spki', format: 'der' }) as Buffer,
          Buffer.from(json(publicMaterial.export({ format: 'jwk' }))),
        ]);
        const header: Json = { ...m.header, alg: 'HS256' };
        if (m.rng.chance(0.5)) delete header['kid'];
        return signed(m, header, m.claims, 'HS256', secret);
      }
      if (variant === 2) {
        // Another allowed algorithm, correctly computed with the RSA key, under the RSA key's kid.
        const alg = m.rng.pick(['PS256', 'RS384', 'PS512', 'RS512']);
        return signed(m, { ...m.header, alg, kid: KIDS.RS256 }, m.claims, alg, rsa.privateKey);
      }
      if (variant === 3)
        return signed(
          m,
          { ...m.header, alg: m.rng.pick(['HS384', 'HS512']) },
          m.claims,
          m.rng.pick(['HS384', 'HS512']),
          SECRET,
        );
      const other = m.rng.pick(ALGS.filter((alg) => alg !== m.alg));
      return signed(m, { ...m.header, alg: other }, m.claims);
    },
  ],
  [
    're-signed-by-attacker',
    4,
    (m) => signed(m, m.header, m.claims, m.alg, m.alg === 'HS256' ? ATTACKER_SECRET : ATTACKER[m.alg].privateKey),
  ],
  [
    'ecdsa-malleability',
    1,
    (m) => {
      if (m.alg !== 'ES256') return valid(m);
      const token = valid(m);
      const sig = Buffer.from(token.split('.')[2], 'base64url');
      const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
      const high = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
      return replaceSegment(token, 2, Buffer.concat([sig.subarray(0, 32), high]).toString('base64url'));
    },
  ],
  [
    'structure',
    3,
    (m) => {
      const token = valid(m);
      const [h, p, s] = token.split('.');
      return m.rng.pick([
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        `${h}.${p}.${s}.${s}.${s}`,
        `${h}..${s}`,
        `.${p}.${s}`,
        '',
        signed(m, m.header, seg(m.rng.pick(['[]', '"claims"', 'null', '1', '{}']))),
        signed(m, seg(m.rng.pick(['[]', '"ES256"', 'null', '{}'])), m.claims),
        signed(m, m.header, seg('{"iss":"x",')),
      ]);
    },
  ],
  [
    'size',
    3,
    (m) => {
      const base = valid(m).length;
      const target = m.rng.pick([MAX_TOKEN_LENGTH - 200, MAX_TOKEN_LENGTH + 10, 20_000, 70_000]);
      const padding = Math.max(1, Math.floor(((target - base) * 3) / 4));
      return signed(m, m.header, { ...m.claims, pad: 'x'.repeat(padding) });
    },
  ],
];

function baseToken(rng: SeededRandom, index: number): Mint {
  const alg = rng.pick(ALGS);
  const header: Json = { alg };
  const typ = rng.pick([undefined, 'at+jwt', 'JWT', 'application/at+jwt', 'AT+JWT', 'jwt']);
  if (typ !== undefined) header['typ'] = typ;
  // HS256: the secret is configured without a kid, so any kid (or none) reaches it.
  if (alg === 'HS256' ? rng.chance(0.3) : rng.chance(0.85)) header['kid'] = alg === 'HS256' ? 'hs-any' : KIDS[alg];
  const claims: Json = {
    iss: ISSUER,
    sub: `user-${index}`,
    aud: rng.chance(0.2) ? ['other-api', AUDIENCE] : AUDIENCE,
    iat: NOW - rng.int(600),
    exp: NOW + 1 + rng.int(3600),
    jti: `jti-${index}`,
  };
  if (rng.chance(0.3)) claims['nbf'] = NOW - rng.int(600);
  if (rng.chance(0.5)) claims['scope'] = rng.pick(['orders:read', 'orders:read orders:write', '']);
  if (rng.chance(0.2)) claims['client_id'] = 'web';
  return { alg, header, claims, rng };
}

interface Case {
  readonly index: number;
  readonly scenario: Scenario;
  readonly mutation: string;
  readonly token: string;
}

function generate(seed: number): Case[] {
  const rng = new SeededRandom(seed);
  const total = MUTATIONS.reduce((sum, [, weight]) => sum + weight, 0);
  const cases: Case[] = [];
  for (let index = 0; index < SAMPLE; index++) {
    const m = baseToken(rng, index);
    let roll = rng.int(total);
    const [mutation, , apply] = MUTATIONS.find(([, weight]) => (roll -= weight) < 0) ?? MUTATIONS[0];
    cases.push({ index, scenario: 'standard', mutation, token: apply(m) });
  }
  // Configurations our verifier refuses to boot with; jose verifies with them.
  for (let i = 0; i < 40; i++) {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: `e1-${i}`, exp: i % 4 === 0 ? NOW - 3600 : NOW + 600 };
    cases.push({
      index: SAMPLE + i,
      scenario: 'rsa-e1',
      mutation: 'forged-under-e1',
      token: forgeUnderE1({ alg: 'RS256', kid: 'e1' }, claims),
    });
  }
  for (let i = 0; i < 40; i++) {
    const claims = { iss: ISSUER, aud: i % 5 === 0 ? 'someone-else' : AUDIENCE, sub: `hs-${i}`, exp: NOW + 600 };
    cases.push({
      index: SAMPLE + 40 + i,
      scenario: 'short-hmac',
      mutation: 'short-secret',
      token: forge('HS256', SHORT_SECRET, { alg: 'HS256' }, claims),
    });
  }
  for (let i = 0; i < 20; i++) {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: `small-${i}`, exp: NOW + 600 };
    cases.push({
      index: SAMPLE + 80 + i,
      scenario: 'rsa-1024',
      mutation: 'rsa-1024',
      token: forge('RS256', RSA_1024.privateKey, { alg: 'RS256', kid: 'small' }, claims),
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------

describe(`differential: AccessTokenVerifier vs jose.jwtVerify (seed ${SEED})`, () => {
  interface Result extends Case {
    readonly ours: Verdict;
    readonly jose: Verdict;
    readonly classes: readonly string[];
  }
  const results: Result[] = [];

  beforeAll(async () => {
    for (const c of generate(SEED)) {
      const [ours, jose] = await Promise.all([ourVerdict(c.scenario, c.token), joseVerdict(c.scenario, c.token)]);
      const tokenView = view(c.token);
      const classes = STRICTER_THAN_JOSE.filter((d) => d.applies(tokenView, c.scenario)).map((d) => d.id);
      results.push({ ...c, ours, jose, classes });
    }
  });

  const where = (r: Result) =>
    `#${r.index} ${r.scenario}/${r.mutation} (ours ${r.ours}, jose ${r.jose}, classes [${r.classes.join(', ')}])`;

  it('refuses to configure the keys jose accepts (e=1, short HMAC) or both refuse (RSA 1024)', () => {
    expect((SCENARIOS['rsa-e1'].ours as JwtAuthConfigError).message).toMatch(/exponent/);
    expect((SCENARIOS['short-hmac'].ours as JwtAuthConfigError).message).toMatch(/shorter than 32 bytes/);
    expect((SCENARIOS['rsa-1024'].ours as JwtAuthConfigError).message).toMatch(/below 2048/);
  });

  it('never accepts a token that jose rejects', () => {
    expect(results.filter((r) => r.ours === 'accept' && r.jose === 'reject').map(where)).toEqual([]);
  });

  it('explains every disagreement by a listed class', () => {
    expect(results.filter((r) => r.ours !== r.jose && r.classes.length === 0).map(where)).toEqual([]);
  });

  it('rejects every token that falls into a listed class (the classes are where we are stricter)', () => {
    expect(results.filter((r) => r.classes.length > 0 && r.ours === 'accept').map(where)).toEqual([]);
  });

  it('observes every listed class as a real disagreement, and agrees on a large sample otherwise', () => {
    const disagreements = results.filter((r) => r.ours !== r.jose);
    const byClass = Object.fromEntries(
      STRICTER_THAN_JOSE.map((d) => [d.id, disagreements.filter((r) => r.classes.includes(d.id)).length]),
    );
    const agreeAccept = results.filter((r) => r.ours === 'accept' && r.jose === 'accept').length;
    const agreeReject = results.filter((r) => r.ours === 'reject' && r.jose === 'reject').length;
    console.log(
      `Differential vs jose (seed ${SEED}): ${results.length} tokens (${SAMPLE} standard, ${results.length - SAMPLE} under refused key configurations). ` +
        `Both accept ${agreeAccept}, both reject ${agreeReject}, disagree ${disagreements.length} (always: we reject, jose accepts). ` +
        `Disagreements per class (a token may fall in several): ${JSON.stringify(byClass)}`,
    );
    expect(results.length).toBe(SAMPLE + 100);
    for (const d of STRICTER_THAN_JOSE)
      expect({ class: d.id, seen: byClass[d.id] > 0 }).toEqual({ class: d.id, seen: true });
    expect(agreeAccept).toBeGreaterThanOrEqual(SAMPLE * 0.1);
    expect(agreeReject).toBeGreaterThanOrEqual(SAMPLE * 0.3);
  });
});
