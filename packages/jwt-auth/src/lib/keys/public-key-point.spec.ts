import { createPublicKey, generateKeyPairSync, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { importJwk, importJwkSet } from './jwk';
import { importStaticKeys } from './static.key-source';
import { KeyRejectedError, toVerificationKey } from './verification-key';

const P25519 = (1n << 255n) - 19n;
const P448 = (1n << 448n) - (1n << 224n) - 1n;

function le(value: bigint, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0, v = value; i < length; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return bytes;
}
const fromLeHex = (hex: string): bigint => BigInt(`0x${Buffer.from(hex, 'hex').reverse().toString('hex')}`);

// y of every small-order Ed25519 point, canonical and y >= p; each with the x sign bit clear and set: 14 encodings.
const ED25519_SMALL_ORDER: readonly [string, bigint][] = [
  ['identity (order 1)', 1n],
  ['order 2 (y = p - 1)', P25519 - 1n],
  ['order 4 (y = 0)', 0n],
  ['order 8 (26e8...)', fromLeHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')],
  ['order 8 (c717...)', fromLeHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')],
  ['y = 0 as p (non-canonical)', P25519],
  ['identity as p + 1 (non-canonical)', P25519 + 1n],
];
const ed25519Encodings = ED25519_SMALL_ORDER.flatMap(([name, y]) =>
  [0, 1].map((sign) => {
    const bytes = le(y, 32);
    if (sign) bytes[31] |= 0x80;
    return { name: `${name}${sign ? ', sign bit set' : ''}`, x: bytes.toString('base64url') };
  }),
);
const ed448Encodings = (
  [
    ['identity', 1n],
    ['order 2', P448 - 1n],
    ['order 4', 0n],
    ['y = 0 as p', P448],
    ['identity as p + 1', P448 + 1n],
  ] as const
).flatMap(([name, y]) =>
  [0, 1].map((sign) => {
    const bytes = le(y, 57);
    if (sign) bytes[56] = 0x80;
    return { name: `${name}${sign ? ', sign bit set' : ''}`, x: bytes.toString('base64url') };
  }),
);

function rejection(build: () => unknown): string | undefined {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyRejectedError);
    return (error as Error).message;
  }
  return undefined;
}

const okp = (crv: 'Ed25519' | 'Ed448', x: string): KeyObject =>
  createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });

// SubjectPublicKeyInfo of a P-256 key whose point is the identity: BIT STRING 00 00 (the one-byte infinity encoding).
function infinitySpki(): Buffer {
  const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const algorithm = der.subarray(2, 2 + 2 + der[3]);
  const body = Buffer.concat([algorithm, Buffer.from([0x03, 0x02, 0x00, 0x00])]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
const pem = (der: Buffer): string =>
  `-----BEGIN PUBLIC KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PUBLIC KEY-----\n`;

describe('public key points', () => {
  it('node:crypto itself takes the identity key, and a fixed signature then verifies any message (why the check exists)', () => {
    const identity = okp('Ed25519', ed25519Encodings[0].x);
    const signature = Buffer.concat([le(1n, 32), Buffer.alloc(32)]);
    for (const message of ['{"sub":"admin"}', 'anything at all'])
      expect(cryptoVerify(null, Buffer.from(message), identity, signature)).toBe(true);
  });

  it('covers 14 distinct Ed25519 encodings', () => {
    expect(new Set(ed25519Encodings.map((e) => e.x)).size).toBe(14);
  });

  it.each(ed25519Encodings)('refuses the Ed25519 small-order point $name as a JWK, a KeyObject and a PEM', ({ x }) => {
    expect(rejection(() => importJwk({ kty: 'OKP', crv: 'Ed25519', x }))).toMatch(/small order/);
    const key = okp('Ed25519', x);
    expect(rejection(() => toVerificationKey(key, 'k', undefined, undefined))).toMatch(/small order/);
    const spki = key.export({ type: 'spki', format: 'pem' }) as string;
    expect(rejection(() => importStaticKeys([spki]))).toMatch(/small order/);
    expect(rejection(() => importStaticKeys([{ key, kid: 'k' }]))).toMatch(/small order/);
  });

  it.each(ed448Encodings)('refuses the Ed448 small-order point $name', ({ x }) => {
    expect(rejection(() => importJwk({ kty: 'OKP', crv: 'Ed448', x }))).toMatch(/small order/);
  });

  it('still imports ordinary Ed25519 and Ed448 keys', () => {
    for (const type of ['ed25519', 'ed448'] as const) {
      const { publicKey } = generateKeyPairSync(type as 'ed25519');
      expect([...toVerificationKey(publicKey, undefined, undefined, undefined).algorithms]).toEqual(['EdDSA']);
    }
  });

  it('drops a small-order member from a JWKS and reports it, keeping the good member', () => {
    const good = { ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid: 'good' };
    const { keys, rejected } = importJwkSet({
      keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'weak', x: 'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, good],
    });
    expect(keys.map((k) => k.kid)).toEqual(['good']);
    expect(rejected).toEqual([{ index: 0, kid: 'weak', reason: expect.stringMatching(/small order/) }]);
  });

  // Without the check, node:crypto aborts the process when the key's details are read or a signature is verified.
  it('refuses an EC key at infinity given as SPKI PEM, DER and KeyObject, without crashing', () => {
    const der = infinitySpki();
    expect(rejection(() => importStaticKeys([pem(der)]))).toMatch(/point at infinity/);
    const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    expect(rejection(() => toVerificationKey(key, 'k', undefined, undefined))).toMatch(/point at infinity/);
    expect(rejection(() => importStaticKeys([key]))).toMatch(/point at infinity/);
  });

  it('refuses EC JWKs off the curve or at zero, and keeps the three curves working', () => {
    for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
      const jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
      expect(rejection(() => importJwk(jwk))).toBeUndefined();
      const y = Buffer.from(jwk.y as string, 'base64url');
      y[y.length - 1] ^= 1;
      expect(rejection(() => importJwk({ ...jwk, y: y.toString('base64url') }))).toBeDefined();
      const zero = Buffer.alloc(y.length).toString('base64url');
      expect(rejection(() => importJwk({ ...jwk, x: zero, y: zero }))).toBeDefined();
    }
  });

  it('refuses an EC key on a curve JWS does not use (secp256k1) before reading its details', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(rejection(() => toVerificationKey(publicKey, undefined, undefined, undefined))).toMatch(/not supported/);
  });
});
