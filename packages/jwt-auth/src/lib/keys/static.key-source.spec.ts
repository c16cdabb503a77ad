import { execFileSync } from 'node:child_process';
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importHmacSecret, importStaticKeys, StaticKeySource } from './static.key-source';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dir = mkdtempSync(join(tmpdir(), 'jwt-auth-static-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importStaticKeys', () => {
  it('imports SPKI PEM, PKCS#1 PEM, KeyObject, JWK and JWKS', () => {
    const keys = importStaticKeys([
      rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      ec.publicKey,
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'jwk' },
      { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'set' }] },
      { key: ec.publicKey, kid: 'named', alg: 'ES256' },
    ]);
    expect(keys.map((k) => k.kid)).toEqual([undefined, undefined, undefined, 'jwk', 'set', 'named']);
    expect(keys.every((k) => k.key.type === 'public')).toBe(true);
  });

  it('imports an X.509 certificate PEM and uses its public key', () => {
    const keyFile = join(dir, 'cert-key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=issuer.test',
      ],
      { stdio: 'ignore' },
    );
    const [key] = importStaticKeys([readFileSync(certFile, 'utf8')]);
    expect(key.key.asymmetricKeyType).toBe('ec');
    expect([...key.algorithms]).toEqual(['ES256']);
  });

  it('reads PEM and JWKS files given as { path }', () => {
    writeFileSync(join(dir, 'key.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(dir, 'jwks.json'),
      JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'file' }] }),
    );
    const keys = importStaticKeys([{ path: join(dir, 'key.pem') }, { path: join(dir, 'jwks.json') }]);
    expect(keys.map((k) => [k.kid, k.family])).toEqual([
      [undefined, 'ec'],
      ['file', 'rsa'],
    ]);
  });

  it('refuses private keys, non-PEM strings and unusable JWKS members', () => {
    expect(() => importStaticKeys([rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string])).toThrow(
      /private key/,
    );
    expect(() => importStaticKeys([rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string])).toThrow(
      /private key/,
    );
    expect(() => importStaticKeys(['./keys/public.pem'])).toThrow(/PEM/);
    expect(() => importStaticKeys([{ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), use: 'enc' }] }])).toThrow(
      /member 0/,
    );
    expect(() =>
      importStaticKeys([rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string], {
        algorithms: new Set(['ES256']),
      }),
    ).toThrow(/allowed/);
  });
});

describe('importHmacSecret', () => {
  it('accepts a random secret of the right length', () => {
    expect([...importHmacSecret(randomBytes(64), { algorithms: new Set(['HS256', 'HS512']) }).algorithms]).toEqual([
      'HS256',
      'HS512',
    ]);
    expect(importHmacSecret(createSecretKey(randomBytes(32)), { algorithms: new Set(['HS256']) }).family).toBe('oct');
  });

  it.each([
    ['', /empty/],
    ['short-but-random-9f8e', /shorter than 32/],
    ['your-256-bit-secret', /placeholder/],
    ['secretsecretsecretsecretsecretsecret', /placeholder/],
    ['a'.repeat(64), /distinct/],
    ['abababababababababababababababababab', /distinct/],
  ])('refuses %j', (secret, message) => {
    expect(() => importHmacSecret(secret, { algorithms: new Set(['HS256']) })).toThrow(message);
  });

  it('refuses a secret shorter than the strongest allowed HMAC needs', () => {
    expect(() => importHmacSecret(randomBytes(32), { algorithms: new Set(['HS256', 'HS512']) })).toThrow(/HS512/);
  });

  it('applies the same strength checks to a secret KeyObject', () => {
    expect(() =>
      importHmacSecret(createSecretKey(Buffer.from('a'.repeat(64))), { algorithms: new Set(['HS256']) }),
    ).toThrow(/distinct/);
    expect(() => importHmacSecret(createSecretKey(Buffer.alloc(16, 1)), { algorithms: new Set(['HS256']) })).toThrow(
      /shorter|distinct/,
    );
  });

  it('refuses a public key given as a secret', () => {
    expect(() => importHmacSecret(rsa.publicKey)).toThrow(/secret KeyObject/);
  });
});

describe('StaticKeySource', () => {
  const [named] = importStaticKeys([{ key: ec.publicKey, kid: 'k1' }]);
  const [unnamed] = importStaticKeys([rsa.publicKey]);
  const source = new StaticKeySource([named, unnamed]);

  it('looks a kid up exactly and otherwise offers the keys configured without a kid', async () => {
    expect(await source.getKeys({ kid: 'k1', alg: 'ES256' })).toEqual([named]);
    expect(await source.getKeys({ kid: 'K1', alg: 'RS256' })).toEqual([unnamed]);
    expect(await source.getKeys({ kid: '__proto__', alg: 'RS256' })).toEqual([unnamed]);
    expect(await source.getKeys({ kid: 'k1', alg: 'RS256' })).toEqual([]);
    expect(await source.getKeys({ kid: undefined, alg: 'ES256' })).toEqual([named]);
  });

  it('answers getKeysSync exactly as getKeys, without a promise', async () => {
    for (const lookup of [
      { kid: 'k1', alg: 'ES256' },
      { kid: 'K1', alg: 'RS256' },
      { kid: 'k1', alg: 'RS256' },
      { kid: undefined, alg: 'ES256' },
    ]) {
      expect(source.getKeysSync(lookup)).toEqual(await source.getKeys(lookup));
    }
  });

  it('reports a fresh state without key material', () => {
    expect(source.getState()).toEqual({
      kind: 'static',
      status: 'fresh',
      keyIds: ['k1'],
      keyCount: 2,
      consecutiveFailures: 0,
    });
  });
});
