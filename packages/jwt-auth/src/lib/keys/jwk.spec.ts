import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { importJwk, importJwkSet } from './jwk';

const jwkOf = (key: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...key.export({ format: 'jwk' }),
  ...extra,
});
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');

function reason(jwk: unknown, options = {}): string | undefined {
  try {
    importJwk(jwk, options);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

describe('importJwk', () => {
  it('imports RSA, EC and OKP public keys with the algorithms they fit', () => {
    expect([...importJwk(jwkOf(rsa.publicKey, { kid: 'r' })).algorithms]).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
    ]);
    expect([...importJwk(jwkOf(ec.publicKey)).algorithms]).toEqual(['ES256']);
    expect([...importJwk(jwkOf(ed.publicKey)).algorithms]).toEqual(['EdDSA']);
    expect(importJwk(jwkOf(rsa.publicKey, { kid: 'r' })).kid).toBe('r');
  });

  it('narrows to the JWK alg when present', () => {
    expect([...importJwk(jwkOf(rsa.publicKey, { alg: 'PS256' })).algorithms]).toEqual(['PS256']);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ alg: 'ES384' }, 'an alg for another curve'],
    [{ alg: 'ES521' }, 'an unregistered alg'],
    [{ alg: 'HS256' }, 'an HMAC alg on an EC key'],
    [{ use: 'enc' }, 'use: enc'],
    [{ key_ops: ['encrypt'] }, 'key_ops without verify'],
    [{ key_ops: 'verify' }, 'key_ops that is not an array'],
    [{ kid: 7 }, 'a numeric kid'],
    [{ kid: 'k'.repeat(257) }, 'an overlong kid'],
    [{ crv: 'P-384' }, 'a curve that does not match the point'],
    [{ crv: 'secp256k1' }, 'an unsupported curve'],
    [{ y: 'AAAA' }, 'a point off the curve'],
  ])('refuses an EC key with %j (%s)', (extra) => {
    expect(reason(jwkOf(ec.publicKey, extra))).toBeDefined();
  });

  it('accepts key_ops that include verify', () => {
    expect(reason(jwkOf(ec.publicKey, { key_ops: ['verify'], use: 'sig' }))).toBeUndefined();
  });

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi'])('refuses a member carrying private parameter %s', (member) => {
    expect(
      reason(jwkOf(rsa.privateKey)[member] ? jwkOf(rsa.privateKey) : jwkOf(rsa.publicKey, { [member]: 'AQAB' })),
    ).toMatch(/private/);
  });

  it('refuses private EC and OKP members', () => {
    expect(reason(jwkOf(ec.privateKey))).toMatch(/private/);
    expect(reason(jwkOf(ed.privateKey))).toMatch(/private/);
  });

  it('refuses RSA keys under 2048 bits and bad exponents', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(reason(jwkOf(small.publicKey))).toMatch(/2048/);
    expect(reason(jwkOf(rsa.publicKey, { e: 'AQ' }))).toMatch(/exponent/); // e = 1
    expect(reason(jwkOf(rsa.publicKey, { e: 'Ag' }))).toMatch(/exponent/); // e = 2
  });

  it('refuses symmetric keys unless local configuration allows them', () => {
    const oct = { kty: 'oct', k: Buffer.alloc(32, 9).toString('base64url') };
    expect(reason(oct)).toMatch(/symmetric/);
    expect(reason(oct, { allowSymmetric: true })).toBeUndefined();
    expect(reason({ kty: 'oct', k: '' }, { allowSymmetric: true })).toMatch(/empty/);
    expect(reason({ kty: 'oct', k: Buffer.alloc(31, 9).toString('base64url') }, { allowSymmetric: true })).toMatch(
      /shorter/,
    );
  });

  it('refuses X25519 (an encryption curve) and unknown kty', () => {
    const x = generateKeyPairSync('x25519');
    expect(reason(jwkOf(x.publicKey))).toBeDefined();
    expect(reason({ kty: 'XYZ' })).toMatch(/kty/);
    expect(reason(null)).toBeDefined();
    expect(reason([jwkOf(ec.publicKey)])).toBeDefined();
  });

  it('ignores extra members such as x5c and never lets them change the key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = importJwk(
      jwkOf(ec.publicKey, { x5c: ['MIIB'], x5u: 'http://127.0.0.1:1/', jku: 'http://127.0.0.1:1/' }),
    );
    expect(key.key.equals(ec.publicKey)).toBe(true);
    expect(key.key.equals(other.publicKey)).toBe(false);
  });

  it('drops keys outside the issuer allow-list', () => {
    expect(reason(jwkOf(ec.publicKey), { algorithms: new Set(['RS256']) })).toMatch(/allowed/);
  });
});

describe('importJwkSet', () => {
  it('keeps valid members and reports the dropped ones with reasons', () => {
    const { keys, rejected } = importJwkSet({
      keys: [
        jwkOf(rsa.publicKey, { kid: 'good' }),
        jwkOf(rsa.privateKey, { kid: 'leaky' }),
        jwkOf(ec.publicKey, { kid: 'enc', use: 'enc' }),
      ],
    });
    expect(keys.map((k) => k.kid)).toEqual(['good']);
    expect(rejected.map((r) => [r.index, r.kid])).toEqual([
      [1, 'leaky'],
      [2, 'enc'],
    ]);
    expect(JSON.stringify(rejected)).not.toMatch(/"d"/);
  });

  it('drops every member of a duplicated kid (ambiguous)', () => {
    const { keys, rejected } = importJwkSet({
      keys: [
        jwkOf(ec.publicKey, { kid: 'same' }),
        jwkOf(rsa.publicKey, { kid: 'same' }),
        jwkOf(ed.publicKey, { kid: 'other' }),
      ],
    });
    expect(keys.map((k) => k.kid)).toEqual(['other']);
    expect(rejected).toHaveLength(2);
  });

  it('drops symmetric members of a set that also holds asymmetric keys', () => {
    const { keys } = importJwkSet(
      {
        keys: [
          { kty: 'oct', kid: 'h', k: Buffer.alloc(32, 5).toString('base64url') },
          jwkOf(ec.publicKey, { kid: 'e' }),
        ],
      },
      { allowSymmetric: true },
    );
    expect(keys.map((k) => k.kid)).toEqual(['e']);
  });

  it('refuses a set that is not { keys: [] } or exceeds maxKeys', () => {
    expect(() => importJwkSet([jwkOf(ec.publicKey)])).toThrow(/keys/);
    expect(() => importJwkSet({ keys: {} })).toThrow(/keys/);
    expect(() => importJwkSet({ keys: Array.from({ length: 101 }, () => jwkOf(ec.publicKey)) })).toThrow(/100/);
    expect(() => importJwkSet({ keys: Array.from({ length: 3 }, () => jwkOf(ec.publicKey)) }, { maxKeys: 2 })).toThrow(
      /more than 2/,
    );
  });
});
