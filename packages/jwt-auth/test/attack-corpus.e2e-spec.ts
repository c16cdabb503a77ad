import { execFileSync } from 'node:child_process';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo as NetAddress } from 'node:net';
import { Body, Controller, Get, HttpCode, Post, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CurrentUser, JwtAuthModule, Public, Scopes } from '../src';
import { TestIssuer } from '../src/testing';
import { Canary, ForgingIssuer, type ForgingAlg } from './support/forging-issuer';
import { b64u, signInput } from './support/jws-forge';

// The attack corpus, end to end: a real Express app on 127.0.0.1 with the global guard, issuer A's keys from a
// loopback JWKS, issuer B from the testing kit, and a canary that counts any request made to a URL a token names.
// Every case must get 401 (403 for scope games; 431/413/401 for oversized requests), never 5xx, never a fetch.

jest.setTimeout(60_000);

const AUDIENCE = 'orders-api';
// Issuer C has static public keys and an HMAC secret, so HS* is on its allow-list: the key must decide the primitive.
const ISSUER_C = 'https://static-keys.issuer.test';
const SECRET_C = randomBytes(64);
const C_KIDS = { rsa: 'c-rsa', ec: 'c-ec' } as const;
const ADMIN_SCOPE = 'orders:admin';
const OPENSSL = '/usr/bin/openssl';

@Controller()
class AttackTargetController {
  @Get('health')
  @Public()
  health() {
    return { status: 'ok' };
  }

  @Get('orders')
  orders(@CurrentUser('sub') sub: string) {
    return { sub };
  }

  @Get('orders/admin')
  @Scopes(ADMIN_SCOPE)
  admin() {
    return { admin: true };
  }

  @Post('orders')
  @HttpCode(201)
  create(@Body() body: unknown, @CurrentUser('sub') sub: string) {
    return { sub, body };
  }
}

// Every small-order Ed25519 point (canonical, y >= p, either x sign): 14 encodings a hostile JWKS may serve.
const P25519 = (1n << 255n) - 19n;
const le32 = (value: bigint): Buffer => {
  const bytes = Buffer.alloc(32);
  for (let i = 0, v = value; i < 32; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return bytes;
};
const WEAK_ED25519_X = [
  1n,
  P25519 - 1n,
  0n,
  BigInt(
    `0x${Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex').reverse().toString('hex')}`,
  ),
  BigInt(
    `0x${Buffer.from('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', 'hex').reverse().toString('hex')}`,
  ),
  P25519,
  P25519 + 1n,
].flatMap((y) => [le32(y), Buffer.from(le32(y).map((b, i) => (i === 31 ? b | 0x80 : b)))]);
const WEAK_MEMBERS = WEAK_ED25519_X.map((x, i) => ({
  kty: 'OKP',
  crv: 'Ed25519',
  x: x.toString('base64url'),
  kid: `weak-ed25519-${i}`,
  alg: 'EdDSA',
  use: 'sig',
}));
/** The identity point, served canonically: with it, R = identity and S = 0 verify every message. */
const IDENTITY_KID = 'weak-ed25519-0';
// JWKS members whose kid or alg would forge log lines if written unescaped.
const FORGED_LINE = '\r\n[Nest] 1  - 12/07/2026, 4:00:00 AM   ERROR [Auth] admin session granted\u001b[2J\u009b31m';
const HOSTILE_MEMBERS = [
  { kty: 'OKP', crv: 'Ed25519', x: WEAK_MEMBERS[0].x, kid: `hostile-kid${FORGED_LINE}` },
  {
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
    kid: 'hostile-alg',
    alg: `ES256${FORGED_LINE}`,
  },
];

type Json = Record<string, unknown>;

/** What a case builds its token from. */
interface Ctx {
  readonly a: ForgingIssuer;
  readonly b: TestIssuer;
  readonly canary: Canary;
  readonly certs: Readonly<Record<'rsa' | 'ec' | 'attacker', string>>;
  readonly attacker: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
}

interface Expectation {
  readonly statuses: readonly number[];
  /** The `error` attribute of `WWW-Authenticate` for 401/403 answers. */
  readonly error: string;
}

interface AttackCase {
  readonly group: string;
  readonly name: string;
  readonly path: string;
  readonly expect: Expectation;
  readonly token: (ctx: Ctx) => string;
}

const UNAUTHORIZED: Expectation = { statuses: [401], error: 'invalid_token' };
const FORBIDDEN: Expectation = { statuses: [403], error: 'insufficient_scope' };
const OVERSIZED: Expectation = { statuses: [431, 413, 401], error: 'invalid_token' };

const now = () => Math.floor(Date.now() / 1000);
const claimsA = (ctx: Ctx, extra: Json = {}): Json => ({
  iss: ctx.a.url,
  aud: AUDIENCE,
  sub: 'alice',
  iat: now(),
  exp: now() + 300,
  scope: 'orders:read',
  ...extra,
});
const headerA = (ctx: Ctx, alg: ForgingAlg, extra: Json = {}): Json => ({
  alg,
  typ: 'at+jwt',
  kid: ctx.a.keys[alg].kid,
  ...extra,
});
const validA = (ctx: Ctx, alg: ForgingAlg = 'ES256', claims: Json = {}): string =>
  ctx.a.forge(alg, headerA(ctx, alg), claimsA(ctx, claims));
const json = (value: unknown): string => JSON.stringify(value);
/** The payload JSON with one member's value replaced by raw JSON text (or removed when `raw` is undefined). */
const payloadWith = (ctx: Ctx, name: string, raw: string | undefined): string => {
  const claims = claimsA(ctx);
  if (raw === undefined) {
    delete claims[name];
    return b64u(json(claims));
  }
  return b64u(json({ ...claims, [name]: '\u0000RAW\u0000' }).replace('"\\u0000RAW\\u0000"', raw));
};
const segments = (token: string): string[] => token.split('.');
const withSegment = (token: string, index: number, value: string): string =>
  segments(token)
    .map((s, i) => (i === index ? value : s))
    .join('.');
const flipBit = (segment: string): string => {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[bytes.length >> 1] ^= 0x10;
  return bytes.toString('base64url');
};
/** Same bytes, different text: set unused low bits of the last base64url character. */
const nonCanonical = (segment: string): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const unused = segment.length % 4 === 2 ? 0x0f : segment.length % 4 === 3 ? 0x03 : 0;
  if (unused === 0) throw new Error('segment has no unused bits');
  return segment.slice(0, -1) + alphabet[alphabet.indexOf(segment[segment.length - 1]) | 1];
};
/** Every upper/lower-case spelling of "none". */
const noneVariants = Array.from({ length: 16 }, (_, mask) =>
  [...'none'].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c)).join(''),
);
const CURVE_ORDERS: Readonly<Record<'ES256' | 'ES384' | 'ES512', [number, string]>> = {
  ES256: [32, 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'],
  ES384: [48, 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'],
  ES512: [
    66,
    '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
  ],
};
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
/** A payload segment whose base64url text satisfies `test` (found by varying a filler claim). */
const payloadSegmentWhere = (ctx: Ctx, test: (segment: string) => boolean): string => {
  for (let i = 0; ; i++) {
    const segment = b64u(claimsA(ctx, { note: `${'>'.repeat(i)}???` }));
    if (test(segment)) return segment;
  }
};

function publicMaterial(ctx: Ctx, which: 'rsa' | 'ec'): Readonly<Record<string, Buffer>> {
  const key = ctx.a.keys[which === 'rsa' ? 'RS256' : 'ES256'].publicKey;
  const jwk = { ...(key.export({ format: 'jwk' }) as Json), kid: ctx.a.keys[which === 'rsa' ? 'RS256' : 'ES256'].kid };
  return {
    'SPKI PEM': Buffer.from(key.export({ type: 'spki', format: 'pem' }) as string),
    ...(which === 'rsa' ? { 'PKCS#1 PEM': Buffer.from(key.export({ type: 'pkcs1', format: 'pem' }) as string) } : {}),
    'certificate PEM': Buffer.from(ctx.certs[which]),
    'DER bytes': key.export({ type: 'spki', format: 'der' }),
    'JWK JSON': Buffer.from(json(jwk)),
  };
}

const certDer = (pem: string): string => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

/** A PS256 / RS256 token of issuer A whose signature starts with a zero byte (found by varying a filler claim). */
function zeroFirstSignature(ctx: Ctx, alg: 'PS256' | 'RS256'): string {
  for (let i = 0; ; i++) {
    const token = ctx.a.forge(alg, headerA(ctx, alg), claimsA(ctx, { note: i }));
    if (Buffer.from(segments(token)[2], 'base64url')[0] === 0) return token;
  }
}

const CASES: readonly AttackCase[] = [
  // Small-order Ed25519 keys in the JWKS: under the identity a fixed signature verifies any payload (issue 11).
  ...WEAK_MEMBERS.flatMap((member) =>
    [
      ['R = identity, S = 0', Buffer.concat([le32(1n), Buffer.alloc(32)])],
      ['R = the key, S = 0', Buffer.concat([Buffer.from(member.x, 'base64url'), Buffer.alloc(32)])],
    ].map(([what, signature]) => ({
      group: 'weak EdDSA keys',
      name: `${member.kid}: sub admin with a fixed signature (${what as string})`,
      path: '/orders/admin',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) =>
        `${b64u({ alg: 'EdDSA', typ: 'at+jwt', kid: member.kid })}.${b64u(claimsA(ctx, { sub: 'admin', scope: ADMIN_SCOPE }))}.${(signature as Buffer).toString('base64url')}`,
    })),
  ),
  // Subject-less tokens: two machine clients without sub would share whatever the app keys by sub (issue 11).
  ...(
    [
      ['sub missing', undefined],
      ['sub empty', '""'],
      ['sub null', 'null'],
      ['sub a number', '42'],
    ] as const
  ).map(([name, raw]) => ({
    group: 'subject',
    name,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), payloadWith(ctx, 'sub', raw)),
  })),
  // RSA signatures are exactly the modulus length: no second encoding by stripping or padding zeros (issue 11).
  ...(['PS256', 'RS256'] as const).flatMap((alg) => [
    {
      group: 'RSA signature length',
      name: `${alg} with its leading zero byte stripped`,
      path: '/orders',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) => {
        const token = zeroFirstSignature(ctx, alg);
        return withSegment(token, 2, Buffer.from(segments(token)[2], 'base64url').subarray(1).toString('base64url'));
      },
    },
    {
      group: 'RSA signature length',
      name: `${alg} left-padded with a zero byte`,
      path: '/orders',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) => {
        const token = validA(ctx, alg);
        const padded = Buffer.concat([Buffer.alloc(1), Buffer.from(segments(token)[2], 'base64url')]);
        return withSegment(token, 2, padded.toString('base64url'));
      },
    },
  ]),
  // alg none, every spelling, with and without a signature.
  ...noneVariants.flatMap((alg) =>
    [false, true].map((withSignature) => ({
      group: 'alg none',
      name: `alg "${alg}" ${withSignature ? 'with a real ES256 signature' : 'with an empty signature'}`,
      path: '/orders',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) => {
        const input = `${b64u(headerA(ctx, 'ES256', { alg }))}.${b64u(claimsA(ctx))}`;
        return `${input}.${withSignature ? signInput('ES256', ctx.a.keys.ES256.privateKey, input).toString('base64url') : ''}`;
      },
    })),
  ),
  // HMAC keyed with the issuer's own public key, in every form a confused verifier might use as the secret.
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap((hs) =>
    (['rsa', 'ec'] as const).flatMap((which) =>
      ['SPKI PEM', 'PKCS#1 PEM', 'certificate PEM', 'DER bytes', 'JWK JSON']
        .filter((form) => which === 'rsa' || form !== 'PKCS#1 PEM')
        .map((form) => ({
          group: 'HMAC with a public key',
          name: `${hs} keyed with the ${which.toUpperCase()} public key as ${form}`,
          path: '/orders',
          expect: UNAUTHORIZED,
          token: (ctx: Ctx) =>
            ctx.a.forge(
              hs,
              headerA(ctx, which === 'rsa' ? 'RS256' : 'ES256', { alg: hs }),
              claimsA(ctx),
              publicMaterial(ctx, which)[form],
            ),
        })),
    ),
  ),
  ...(['rsa', 'ec'] as const).map((which) => ({
    group: 'HMAC with a public key',
    name: `HS256 keyed with the ${which.toUpperCase()} SPKI PEM, no kid`,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      ctx.a.forge('HS256', { alg: 'HS256', typ: 'at+jwt' }, claimsA(ctx), publicMaterial(ctx, which)['SPKI PEM']),
  })),
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap((hs) =>
    (['rsa', 'ec'] as const).flatMap((which) =>
      ['SPKI PEM', 'PKCS#1 PEM', 'certificate PEM', 'DER bytes', 'JWK JSON']
        .filter((form) => which === 'rsa' || form !== 'PKCS#1 PEM')
        .flatMap((form) =>
          [true, false].map((withKid) => ({
            group: 'HMAC with a public key, HS allowed',
            name: `${hs} keyed with issuer C's ${which.toUpperCase()} public key as ${form}, ${withKid ? "under that key's kid" : 'no kid'}`,
            path: '/orders',
            expect: UNAUTHORIZED,
            token: (ctx: Ctx) => {
              const header: Json = { alg: hs, typ: 'at+jwt', ...(withKid ? { kid: C_KIDS[which] } : {}) };
              return ctx.a.forge(hs, header, claimsA(ctx, { iss: ISSUER_C }), publicMaterial(ctx, which)[form]);
            },
          })),
        ),
    ),
  ),
  // Keys the token names: never dereferenced, never trusted.
  ...(['attacker kid', 'issuer kid'] as const).flatMap((kidOf) => {
    const kid = (ctx: Ctx) => (kidOf === 'attacker kid' ? 'attacker-key' : ctx.a.keys.ES256.kid);
    const signed = (ctx: Ctx, extra: Json) =>
      ctx.a.forge(
        'ES256',
        { alg: 'ES256', typ: 'at+jwt', kid: kid(ctx), ...extra },
        claimsA(ctx),
        ctx.attacker.privateKey,
      );
    return [
      {
        name: `embedded jwk (${kidOf})`,
        token: (ctx: Ctx) =>
          signed(ctx, { jwk: { ...(ctx.attacker.publicKey.export({ format: 'jwk' }) as Json), kid: kid(ctx) } }),
      },
      {
        name: `jku pointing at the canary (${kidOf})`,
        token: (ctx: Ctx) => signed(ctx, { jku: `${ctx.canary.url}/jwks.json` }),
      },
      {
        name: `x5u pointing at the canary (${kidOf})`,
        token: (ctx: Ctx) => signed(ctx, { x5u: `${ctx.canary.url}/cert.pem` }),
      },
      {
        name: `self-signed x5c with x5t#S256 (${kidOf})`,
        token: (ctx: Ctx) => {
          const der = certDer(ctx.certs.attacker);
          return signed(ctx, {
            x5c: [der],
            'x5t#S256': createHash('sha256').update(Buffer.from(der, 'base64')).digest('base64url'),
          });
        },
      },
    ].map((c) => ({ ...c, group: 'keys named by the token', path: '/orders', expect: UNAUTHORIZED }));
  }),
  {
    group: 'keys named by the token',
    name: 'self-signed x5c and no kid',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      ctx.a.forge(
        'ES256',
        { alg: 'ES256', typ: 'at+jwt', x5c: [certDer(ctx.certs.attacker)] },
        claimsA(ctx),
        ctx.attacker.privateKey,
      ),
  },
  // kid as an injection vector, signed with the issuer's real key so that only the kid is wrong.
  ...(
    [
      ['path traversal', '../../../../../etc/passwd'],
      ['SQL', "' OR '1'='1' --"],
      ['shell', '$(curl http://127.0.0.1:1/x); `id`'],
      ['NUL', 'es256\u0000'],
      ['__proto__', '__proto__'],
      ['constructor', 'constructor'],
      ['an object', { $ne: null }],
      ['a number', 42],
      ['null', null],
      ['an empty string', ''],
      ['the canary URL', 'CANARY'],
    ] as const
  ).map(([what, kid]) => ({
    group: 'kid',
    name: `kid as ${what}`,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      ctx.a.forge(
        'ES256',
        headerA(ctx, 'ES256', { kid: kid === 'CANARY' ? `${ctx.canary.url}/keys/1` : kid }),
        claimsA(ctx),
      ),
  })),
  {
    group: 'kid',
    name: 'kid of 64 KiB',
    path: '/orders',
    expect: OVERSIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256', { kid: 'k'.repeat(64 * 1024) }), claimsA(ctx)),
  },
  // Psychic signatures (CVE-2022-21449): r = s = 0 and r = s = n.
  ...(['ES256', 'ES384', 'ES512'] as const).flatMap((alg) => {
    const [size, order] = CURVE_ORDERS[alg];
    const n = Buffer.from(order.padStart(size * 2, '0'), 'hex');
    return [
      ['r = s = 0', Buffer.alloc(size * 2)],
      ['r = s = n', Buffer.concat([n, n])],
    ].map(([what, signature]) => ({
      group: 'psychic ECDSA',
      name: `${alg} with ${what as string}`,
      path: '/orders',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) =>
        `${b64u(headerA(ctx, alg))}.${b64u(claimsA(ctx))}.${(signature as Buffer).toString('base64url')}`,
    }));
  }),
  // Damaged signatures and tampered payloads.
  ...(['ES256', 'RS256', 'EdDSA'] as const).flatMap((alg) =>
    [
      ['stripped signature', (t: string) => withSegment(t, 2, '')],
      ['truncated signature', (t: string) => withSegment(t, 2, segments(t)[2].slice(0, -4))],
      ['bit-flipped signature', (t: string) => withSegment(t, 2, flipBit(segments(t)[2]))],
    ].map(([what, damage]) => ({
      group: 'signature damage',
      name: `${alg} ${what as string}`,
      path: '/orders',
      expect: UNAUTHORIZED,
      token: (ctx: Ctx) => (damage as (t: string) => string)(validA(ctx, alg)),
    })),
  ),
  ...[
    ['payload swapped for sub admin', (ctx: Ctx) => withSegment(validA(ctx), 1, b64u(claimsA(ctx, { sub: 'admin' })))],
    [
      'payload swapped for more scope',
      (ctx: Ctx) =>
        withSegment(validA(ctx, 'ES256', { scope: 'orders:read' }), 1, b64u(claimsA(ctx, { scope: ADMIN_SCOPE }))),
    ],
    ['payload bit-flipped', (ctx: Ctx) => withSegment(validA(ctx), 1, flipBit(segments(validA(ctx))[1]))],
  ].map(([name, token]) => ({
    group: 'tampered payload',
    name: name as string,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: token as (ctx: Ctx) => string,
  })),
  // Duplicate members (JSON.parse would keep the last one), validly signed.
  ...[
    [
      'header {"alg":"none","alg":"ES256"}',
      (ctx: Ctx) =>
        ctx.a.forge('ES256', b64u(json(headerA(ctx, 'ES256')).replace('{', '{"alg":"none",')), claimsA(ctx)),
    ],
    [
      'header kid twice',
      (ctx: Ctx) =>
        ctx.a.forge('ES256', b64u(json(headerA(ctx, 'ES256')).replace('{', '{"kid":"attacker-key",')), claimsA(ctx)),
    ],
    [
      'header kid spelled with an escape',
      (ctx: Ctx) =>
        ctx.a.forge(
          'ES256',
          b64u(json(headerA(ctx, 'ES256')).replace('{', '{"\\u006bid":"attacker-key",')),
          claimsA(ctx),
        ),
    ],
    [
      'payload iss twice',
      (ctx: Ctx) =>
        ctx.a.forge(
          'ES256',
          headerA(ctx, 'ES256'),
          b64u(json(claimsA(ctx)).replace('{', '{"iss":"https://evil.test",')),
        ),
    ],
    [
      'payload exp twice (past, then future)',
      (ctx: Ctx) =>
        ctx.a.forge('ES256', headerA(ctx, 'ES256'), b64u(json(claimsA(ctx)).replace('{', `{"exp":${now() - 3600},`))),
    ],
    [
      'payload sub twice',
      (ctx: Ctx) =>
        ctx.a.forge('ES256', headerA(ctx, 'ES256'), b64u(json(claimsA(ctx)).replace(/}$/, ',"sub":"admin"}'))),
    ],
  ].map(([name, token]) => ({
    group: 'duplicate members',
    name: name as string,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: token as (ctx: Ctx) => string,
  })),
  // Base64url spelling: same bytes, other text.
  ...[
    [
      'non-canonical signature (unused bits set)',
      (ctx: Ctx) => withSegment(validA(ctx), 2, nonCanonical(segments(validA(ctx))[2])),
    ],
    [
      'non-canonical header, re-signed',
      (ctx: Ctx) => ctx.a.forge('ES256', nonCanonical(b64u(headerA(ctx, 'ES256', { x: 'a' }))), claimsA(ctx)),
    ],
    [
      'whitespace inside the signature',
      (ctx: Ctx) =>
        withSegment(validA(ctx), 2, `${segments(validA(ctx))[2].slice(0, 20)} ${segments(validA(ctx))[2].slice(20)}`),
    ],
    [
      'tab inside the payload, re-signed',
      (ctx: Ctx) =>
        ctx.a.forge(
          'ES256',
          headerA(ctx, 'ES256'),
          `${b64u(claimsA(ctx)).slice(0, 10)}\t${b64u(claimsA(ctx)).slice(10)}`,
        ),
    ],
    ['"=" padding on the signature', (ctx: Ctx) => `${validA(ctx)}==`],
    [
      '"=" padding on the payload, re-signed',
      (ctx: Ctx) => {
        const segment = payloadSegmentWhere(ctx, (s) => s.length % 4 === 2);
        return ctx.a.forge('ES256', headerA(ctx, 'ES256'), `${segment}==`);
      },
    ],
    [
      'standard base64 alphabet in the payload, re-signed',
      (ctx: Ctx) => {
        const segment = payloadSegmentWhere(ctx, (s) => /[-_]/.test(s));
        return ctx.a.forge('ES256', headerA(ctx, 'ES256'), segment.replace(/-/g, '+').replace(/_/g, '/'));
      },
    ],
    [
      'standard base64 alphabet in the signature',
      (ctx: Ctx) => {
        let token = validA(ctx);
        while (!/[-_]/.test(segments(token)[2])) token = validA(ctx);
        return withSegment(token, 2, segments(token)[2].replace(/-/g, '+').replace(/_/g, '/'));
      },
    ],
  ].map(([name, token]) => ({
    group: 'base64url spelling',
    name: name as string,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: token as (ctx: Ctx) => string,
  })),
  // Size and depth.
  {
    group: 'size and depth',
    name: 'a 1 MiB token',
    path: '/orders',
    expect: OVERSIZED,
    token: (ctx: Ctx) => validA(ctx, 'ES256', { pad: 'x'.repeat(786_432) }),
  },
  {
    group: 'size and depth',
    name: 'a 9 KiB token (over maxTokenLength, under the header limit)',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => validA(ctx, 'ES256', { pad: 'x'.repeat(6800) }),
  },
  {
    group: 'size and depth',
    name: 'payload nested 1000 deep',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), payloadWith(ctx, 'ctx', nested(1000))),
  },
  {
    group: 'size and depth',
    name: 'payload nested 21 deep',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), payloadWith(ctx, 'ctx', nested(20))),
  },
  {
    group: 'size and depth',
    name: 'header nested 21 deep',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      ctx.a.forge('ES256', b64u(json(headerA(ctx, 'ES256')).replace('{', `{"x":${nested(20)},`)), claimsA(ctx)),
  },
  // JOSE features that are refused.
  ...[
    ['crit ["exp"]', { crit: ['exp'], exp: 1 }],
    ['crit ["b64"] with b64 true', { crit: ['b64'], b64: true }],
    ['b64 false with crit', { crit: ['b64'], b64: false }],
    ['b64 false without crit', { b64: false }],
    ['zip DEF', { zip: 'DEF' }],
    ['cty JWT', { cty: 'JWT' }],
  ].map(([name, extra]) => ({
    group: 'refused JOSE features',
    name: name as string,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256', extra as Json), claimsA(ctx)),
  })),
  {
    group: 'refused JOSE features',
    name: 'cty JWT wrapping a valid token',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256', { cty: 'JWT' }), b64u(validA(ctx))),
  },
  {
    group: 'refused JOSE features',
    name: 'a 5-part (JWE-shaped) token',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      [
        b64u({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: ctx.a.keys.RS256.kid }),
        'AAAA',
        'AAAAAAAAAAAAAAAA',
        b64u(claimsA(ctx)),
        'AAAAAAAAAAAAAAAAAAAAAA',
      ].join('.'),
  },
  {
    group: 'refused JOSE features',
    name: 'a 4-part token',
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => `${validA(ctx)}.${segments(validA(ctx))[2]}`,
  },
  // Registered time claims of the wrong type or range.
  ...(
    [
      ['exp', json(String(now() + 300))],
      ['exp', 'null'],
      ['exp', '1e400'],
      ['exp', '-1'],
      ['exp', '9007199254740993'],
      ['exp', '253402300800'],
      ['exp', undefined],
      ['exp', `[${now() + 300}]`],
      ['nbf', json(String(now()))],
      ['nbf', 'null'],
      ['nbf', '1e400'],
      ['nbf', '-1'],
      ['nbf', '253402300800'],
      ['iat', json(String(now()))],
      ['iat', 'null'],
      ['iat', '1e400'],
      ['iat', '-1'],
      ['iat', '9007199254740993'],
      ['iat', String(now() + 3600)],
    ] as const
  ).map(([claim, raw]) => ({
    group: 'time claims',
    name: raw === undefined ? `${claim} missing` : `${claim}: ${raw.length > 24 ? 'a string' : raw}`,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), payloadWith(ctx, claim, raw)),
  })),
  // Issuer and audience games.
  ...(
    [
      ['iss with a trailing slash', 'iss', (ctx: Ctx) => json(`${ctx.a.url}/`)],
      ['iss in upper case', 'iss', (ctx: Ctx) => json(ctx.a.url.toUpperCase())],
      ['iss a prefix of the configured one', 'iss', (ctx: Ctx) => json(ctx.a.url.slice(0, -1))],
      ['iss extended by a suffix', 'iss', (ctx: Ctx) => json(`${ctx.a.url}.evil.test`)],
      ['iss as an array', 'iss', (ctx: Ctx) => json([ctx.a.url])],
      ['iss as an array with a non-string', 'iss', (ctx: Ctx) => json([ctx.a.url, 5])],
      ['iss null', 'iss', () => 'null'],
      ['iss missing', 'iss', () => undefined],
      ['aud with a trailing slash', 'aud', () => json(`${AUDIENCE}/`)],
      ['aud in upper case', 'aud', () => json(AUDIENCE.toUpperCase())],
      ['aud a prefix', 'aud', () => json('orders')],
      ['aud extended', 'aud', () => json(`${AUDIENCE}-evil`)],
      ['aud array with a non-string', 'aud', () => json([AUDIENCE, 5])],
      ['aud array with null', 'aud', () => json([null, AUDIENCE])],
      ['aud empty array', 'aud', () => '[]'],
      ['aud nested array', 'aud', () => json([[AUDIENCE]])],
      ['aud missing', 'aud', () => undefined],
    ] as const
  ).map(([name, claim, raw]) => ({
    group: 'issuer and audience',
    name,
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), payloadWith(ctx, claim, raw(ctx))),
  })),
  {
    group: 'issuer and audience',
    name: "issuer B's token naming issuer A",
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.b.sign({ iss: ctx.a.url, aud: AUDIENCE }, { alg: 'ES256' }),
  },
  {
    group: 'issuer and audience',
    name: "issuer B's token naming issuer A, under A's kid",
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.b.sign({ iss: ctx.a.url, aud: AUDIENCE }, { alg: 'ES256', kid: ctx.a.keys.ES256.kid }),
  },
  {
    group: 'issuer and audience',
    name: "issuer A's key naming issuer B (A's kid)",
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => ctx.a.forge('ES256', headerA(ctx, 'ES256'), claimsA(ctx, { iss: ctx.b.issuerUrl })),
  },
  {
    group: 'issuer and audience',
    name: "issuer A's key naming issuer B (B's kid)",
    path: '/orders',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) =>
      ctx.a.forge('ES256', headerA(ctx, 'ES256', { kid: ctx.b.kid('ES256') }), claimsA(ctx, { iss: ctx.b.issuerUrl })),
  },
  // Scope games against a route that requires orders:admin.
  ...(
    [
      ['a prefix of the scope', { scope: 'orders' }],
      ['the scope minus a letter', { scope: 'orders:admi' }],
      ['the scope plus a suffix', { scope: 'orders:administrator' }],
      ['upper case', { scope: 'ORDERS:ADMIN' }],
      ['mixed case', { scope: 'Orders:Admin' }],
      ['a trailing NBSP', { scope: 'orders:admin\u00a0' }],
      ['NBSP as the separator', { scope: 'orders:read\u00a0orders:admin' }],
      ['tab as the separator', { scope: 'orders:read\torders:admin' }],
      ['newline as the separator', { scope: 'orders:read\norders:admin' }],
      ['comma as the separator', { scope: 'orders:read,orders:admin' }],
      ['a full-width colon', { scope: 'orders\uff1aadmin' }],
      ['scp as a string (scope is the configured claim)', { scope: 'orders:read', scp: ADMIN_SCOPE }],
      ['scp as an array (scope is the configured claim)', { scope: 'orders:read', scp: [ADMIN_SCOPE] }],
      ['no scope at all', { scope: undefined }],
    ] as const
  ).map(([name, claims]) => ({
    group: 'scope',
    name,
    path: '/orders/admin',
    expect: FORBIDDEN,
    token: (ctx: Ctx) => {
      const payload = claimsA(ctx, claims as Json);
      if (payload['scope'] === undefined) delete payload['scope'];
      return ctx.a.forge('ES256', headerA(ctx, 'ES256'), payload);
    },
  })),
  {
    group: 'scope',
    name: 'scope as an array (a misissued claim, not a grant)',
    path: '/orders/admin',
    expect: UNAUTHORIZED,
    token: (ctx: Ctx) => validA(ctx, 'ES256', { scope: [ADMIN_SCOPE] }),
  },
];

/** A request written byte for byte on a socket, for what http.request will not send; answers until the close. */
function sendRaw(port: number, head: string, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    // Written, not ended: a half-closed request with a body still due would be dropped by Node, not answered.
    socket.on('connect', () =>
      socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(body)])),
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [top, ...rest] = text.split('\r\n\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of top.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** Attacks on the request around the token (issue 11): the Authorization bytes, the header count, the body. */
interface RequestAttack {
  readonly name: string;
  readonly expect: Expectation | { readonly statuses: readonly number[]; readonly error: undefined };
  readonly head: (ctx: Ctx) => string;
  readonly body?: string;
}

const MALFORMED_BODY = '{"echo-marker": [1,';
const requestHead = (path: string, lines: readonly string[], method = 'GET'): string =>
  [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...lines, 'Connection: close'].join('\r\n');
const REQUEST_ATTACKS: readonly RequestAttack[] = [
  ...(
    [
      ['NBSP before the scheme', (t: string) => `\u00a0Bearer ${t}`],
      ['NBSP after the token', (t: string) => `Bearer ${t}\u00a0`],
      ['NEL after the token', (t: string) => `Bearer ${t}\u0085`],
      ['NBSP between scheme and token', (t: string) => `Bearer\u00a0${t}`],
    ] as const
  ).map(([name, value]) => ({
    name: `Authorization with ${name}`,
    expect: UNAUTHORIZED,
    head: (ctx: Ctx) => requestHead('/orders', [`Authorization: ${value(validA(ctx))}`]),
  })),
  {
    name: '2100 junk headers between two Authorization headers (Node keeps the first 1000 or maxHeadersCount)',
    expect: { statuses: [400], error: 'invalid_request' },
    head: (ctx: Ctx) =>
      requestHead('/orders', [
        `Authorization: Bearer ${validA(ctx)}`,
        ...Array.from({ length: 2100 }, () => 'x:1'),
        `Authorization: Bearer ${validA(ctx, 'ES256', { sub: 'admin' })}`,
      ]),
  },
  {
    name: 'malformed JSON body without a token (never parsed, never quoted)',
    expect: { statuses: [401], error: undefined },
    head: () =>
      requestHead('/orders', ['Content-Type: application/json', `Content-Length: ${MALFORMED_BODY.length}`], 'POST'),
    body: MALFORMED_BODY,
  },
  {
    name: 'Expect: 100-continue without a token (no 100, the 401 at once)',
    expect: { statuses: [401], error: undefined },
    head: () =>
      requestHead('/orders', ['Content-Type: application/json', 'Content-Length: 10', 'Expect: 100-continue'], 'POST'),
  },
  {
    name: 'Content-Length: 999999 and no body, without a token',
    expect: { statuses: [401], error: undefined },
    head: () => requestHead('/orders', ['Content-Type: application/json', 'Content-Length: 999999'], 'POST'),
  },
];

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A plain request on 127.0.0.1 (supertest would refuse some header values, and Node answers 431 to huge ones). */
function send(port: number, path: string, authorization?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        headers: authorization === undefined ? {} : { Authorization: authorization },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const challengeError = (reply: Reply): string | undefined =>
  /\berror="([^"]*)"/.exec(String(reply.headers['www-authenticate'] ?? ''))?.[1];

class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string }[] = [];
  log(message: unknown) {
    this.lines.push({ level: 'log', message: String(message) });
  }
  warn(message: unknown) {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  error(message: unknown) {
    this.lines.push({ level: 'error', message: String(message) });
  }
  debug(message: unknown) {
    this.lines.push({ level: 'debug', message: String(message) });
  }
}

function selfSignedCertificate(dir: string, name: string, privateKey: KeyObject): string {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  // The private key lives in a private temp directory only for the openssl call.
  writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-new', '-key', keyPath, '-subj', `/CN=${name}`, '-days', '1', '-batch', '-out', certPath],
    { stdio: 'pipe' },
  );
  rmSync(keyPath);
  return readFileSync(certPath, 'utf8');
}

describe('attack corpus over HTTP (Express, global JwtAuthGuard, JWKS on 127.0.0.1)', () => {
  let ctx: Ctx;
  let app: INestApplication;
  let port: number;
  let jwksHitsBeforeCorpus = 0;
  const authLog = new RecordingLogger();

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-auth-attack-'));
    try {
      const [a, b, canary] = await Promise.all([
        ForgingIssuer.start(['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']),
        TestIssuer.create({ algorithms: ['ES256'], audience: AUDIENCE }).then((issuer) => issuer.start()),
        Canary.start(),
      ]);
      const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const certs = {
        rsa: selfSignedCertificate(dir, 'issuer-rsa', a.keys.RS256.privateKey),
        ec: selfSignedCertificate(dir, 'issuer-ec', a.keys.ES256.privateKey),
        attacker: selfSignedCertificate(dir, 'attacker', attacker.privateKey),
      };
      ctx = { a, b, canary, certs, attacker };
      a.extraMembers = [...WEAK_MEMBERS, ...HOSTILE_MEMBERS];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwtAuthModule.forRoot({
          issuers: [
            {
              issuer: ctx.a.url,
              audience: AUDIENCE,
              algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'],
              jwksUri: ctx.a.jwksUri,
              allowInsecureHttp: true,
            },
            ctx.b.issuerOptions('jwks'),
            {
              issuer: ISSUER_C,
              audience: AUDIENCE,
              algorithms: ['RS256', 'ES256', 'HS256', 'HS384', 'HS512'],
              // The RSA key has no alg of its own: its type alone must keep it away from HMAC.
              keys: [
                { key: ctx.a.keys.RS256.publicKey, kid: C_KIDS.rsa },
                { key: ctx.a.keys.ES256.publicKey, kid: C_KIDS.ec, alg: 'ES256' },
              ],
              secret: SECRET_C,
            },
          ],
          realm: 'orders',
          logger: authLog,
          globalGuard: true,
        }),
      ],
      controllers: [AttackTargetController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as NetAddress).port;
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([ctx?.a.stop(), ctx?.b.stop(), ctx?.canary.stop()]);
  });

  describe('positive controls (the same app does accept good tokens)', () => {
    it('serves valid tokens of both issuers and the admin scope', async () => {
      for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const) {
        const reply = await send(port, '/orders', `Bearer ${validA(ctx, alg)}`);
        expect({ alg, status: reply.status, body: reply.body }).toEqual({
          alg,
          status: 200,
          body: json({ sub: 'alice' }),
        });
      }
      expect((await send(port, '/orders', `Bearer ${ctx.b.sign({ sub: 'bob' }, { alg: 'ES256' })}`)).body).toBe(
        json({ sub: 'bob' }),
      );
      expect(
        (await send(port, '/orders/admin', `Bearer ${validA(ctx, 'ES256', { scope: `orders:read ${ADMIN_SCOPE}` })}`))
          .status,
      ).toBe(200);
      for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
        const token = ctx.a.forge(alg, { alg, typ: 'at+jwt' }, claimsA(ctx, { iss: ISSUER_C }), SECRET_C);
        expect({ alg, status: (await send(port, '/orders', `Bearer ${token}`)).status }).toEqual({ alg, status: 200 });
      }
      const rsC = ctx.a.forge(
        'RS256',
        { alg: 'RS256', typ: 'at+jwt', kid: C_KIDS.rsa },
        claimsA(ctx, { iss: ISSUER_C }),
      );
      expect((await send(port, '/orders', `Bearer ${rsC}`)).status).toBe(200);
      expect((await send(port, '/health')).status).toBe(200);
      jwksHitsBeforeCorpus = ctx.a.hits;
      expect(jwksHitsBeforeCorpus).toBeGreaterThanOrEqual(1);
    });
  });

  it('refuses the identity-point key with a fixed signature (GET /orders/admin as admin): 401, where node:crypto alone says yes', async () => {
    const input = `${b64u({ alg: 'EdDSA', typ: 'at+jwt', kid: IDENTITY_KID })}.${b64u(claimsA(ctx, { sub: 'admin', scope: ADMIN_SCOPE }))}`;
    const signature = Buffer.concat([le32(1n), Buffer.alloc(32)]);
    const identity = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: WEAK_MEMBERS[0].x }, format: 'jwk' });
    expect(cryptoVerify(null, Buffer.from(input), identity, signature)).toBe(true);
    const reply = await send(port, '/orders/admin', `Bearer ${input}.${signature.toString('base64url')}`);
    expect(reply.status).toBe(401);
    expect(challengeError(reply)).toBe('invalid_token');
  });

  it('drops every weak and hostile JWKS member, reporting it in one escaped warning line', () => {
    const warnings = authLog.lines.filter((line) => line.message.includes('members dropped'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    for (const member of WEAK_MEMBERS) expect(warnings[0].message).toContain(`kid "${member.kid}"`);
    expect(warnings[0].message).toContain('hostile-kid\\x0d\\x0a[Nest]');
    // The reason quotes the alg escaped once at the source, and the whole reason is escaped again on its way out.
    expect(warnings[0].message).toContain('kid "hostile-alg": "JWK alg \\"ES256\\\\x0d\\\\x0a[Nest]');
    for (const line of authLog.lines) expect(line.message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('holds a corpus of at least 270 attacks', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(270);
    expect(new Set(CASES.map((c) => `${c.group}: ${c.name}`)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => ({ ...c, title: `${c.group}: ${c.name}` })))('$title', async (attack) => {
    const token = attack.token(ctx);
    const reply = await send(port, attack.path, `Bearer ${token}`);
    expect(attack.expect.statuses).toContain(reply.status);
    if (reply.status === 401 || reply.status === 403) {
      expect(challengeError(reply)).toBe(attack.expect.error);
      if (attack.expect.error === 'insufficient_scope')
        expect(reply.headers['www-authenticate']).toContain(`scope="${ADMIN_SCOPE}"`);
    }
    // Never echo the token, nor any of its segments.
    for (const part of token.split('.').filter((s) => s.length >= 16)) expect(reply.body.includes(part)).toBe(false);
    expect(ctx.canary.hits).toBe(0);
    expect((await send(port, '/health')).status).toBe(200);
  });

  it.each(REQUEST_ATTACKS)('request: $name', async (attack) => {
    const reply = await sendRaw(port, attack.head(ctx), attack.body);
    expect(attack.expect.statuses).toContain(reply.status);
    expect(challengeError(reply)).toBe(attack.expect.error);
    expect(reply.body).not.toContain('echo-marker');
    expect((await send(port, '/health')).status).toBe(200);
  });

  it('logged every rejection and key event as printable ASCII only', () => {
    expect(authLog.lines.length).toBeGreaterThan(0);
    for (const line of authLog.lines) expect(line.message).toMatch(/^[\x20-\x7e]*$/);
  });

  it('made no request to any URL a token named, and a handful of JWKS fetches for all the unknown kids', () => {
    expect(ctx.canary.hits).toBe(0);
    // Unknown kids may trigger at most one refetch per cooldown (SECURITY.md), not one per request.
    expect(ctx.a.hits - jwksHitsBeforeCorpus).toBeLessThanOrEqual(2);
    console.log(
      `Attack corpus: ${CASES.length} cases in ${new Set(CASES.map((c) => c.group)).size} groups; JWKS fetches during the corpus: ${ctx.a.hits - jwksHitsBeforeCorpus}; canary hits: ${ctx.canary.hits}`,
    );
  });
});
