import {
  constants,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import { generateTestKey, signBytes, type TestAlg } from '../__fixtures__/tokens';
import { toVerificationKey } from '../keys/verification-key';
import { ALGORITHMS, type AlgorithmSpec } from './algorithms';
import { verifySignature } from './signature';

const spec = (alg: string): AlgorithmSpec => ALGORITHMS.get(alg) as AlgorithmSpec;
const input = 'eyJhbGciOiJ4In0.eyJzdWIiOiJ5In0';

describe('verifySignature', () => {
  const asymmetric = [
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
  ] as const;

  it.each(asymmetric)('verifies %s and rejects a bit flip, a truncation and another message', (alg) => {
    const pair = generateTestKey(alg);
    const key = toVerificationKey(pair.publicKey, undefined, alg, undefined);
    const sig = signBytes(alg, pair.privateKey, input);
    expect(verifySignature(spec(alg), key, Buffer.from(input), sig)).toBe(true);
    const flipped = Buffer.from(sig);
    flipped[flipped.length - 1] ^= 1;
    expect(verifySignature(spec(alg), key, Buffer.from(input), flipped)).toBe(false);
    expect(verifySignature(spec(alg), key, Buffer.from(input), sig.subarray(0, sig.length - 1))).toBe(false);
    expect(verifySignature(spec(alg), key, Buffer.from(`${input}x`), sig)).toBe(false);
    expect(verifySignature(spec(alg), key, Buffer.from(input), Buffer.alloc(0))).toBe(false);
  });

  it.each(['HS256', 'HS384', 'HS512'] as const)('verifies %s with a local secret', (alg) => {
    const secret = createSecretKey(randomBytes(64));
    const key = toVerificationKey(secret, undefined, undefined, undefined);
    const sig = signBytes(alg, secret, input);
    expect(verifySignature(spec(alg), key, Buffer.from(input), sig)).toBe(true);
    expect(verifySignature(spec(alg), key, Buffer.from(input), Buffer.concat([sig, Buffer.from([0])]))).toBe(false);
  });

  it('never uses an asymmetric public key as an HMAC secret (alg confusion)', () => {
    const pair = generateTestKey('RS256');
    const key = toVerificationKey(pair.publicKey, undefined, undefined, undefined);
    for (const encoded of [
      pair.publicKey.export({ type: 'spki', format: 'pem' }),
      pair.publicKey.export({ type: 'pkcs1', format: 'pem' }),
      pair.publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(pair.publicKey.export({ format: 'jwk' })),
    ]) {
      const forged = signBytes('HS256', createSecretKey(Buffer.from(encoded)), input);
      expect(verifySignature(spec('HS256'), key, Buffer.from(input), forged)).toBe(false);
    }
  });

  it('does not accept a PKCS#1 v1.5 signature as PSS or the reverse', () => {
    const pair = generateTestKey('RS256');
    const key = toVerificationKey(pair.publicKey, undefined, undefined, undefined);
    expect(verifySignature(spec('PS256'), key, Buffer.from(input), signBytes('RS256', pair.privateKey, input))).toBe(
      false,
    );
    expect(verifySignature(spec('RS256'), key, Buffer.from(input), signBytes('PS256', pair.privateKey, input))).toBe(
      false,
    );
  });

  it("refuses an algorithm outside the key's own set before any crypto", () => {
    const pair = generateTestKey('ES256');
    const key = toVerificationKey(pair.publicKey, undefined, 'ES256', undefined);
    expect(verifySignature(spec('ES384'), key, Buffer.from(input), signBytes('ES256', pair.privateKey, input))).toBe(
      false,
    );
  });

  it.each([
    ['ES256', 32, 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'],
    ['ES384', 48, 'ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'],
    [
      'ES512',
      66,
      '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    ],
  ] as const)('rejects psychic %s signatures (r = s = 0 and r = s = n)', (alg, size, order) => {
    const pair = generateTestKey(alg as TestAlg as 'ES256');
    const key = toVerificationKey(pair.publicKey, undefined, undefined, undefined);
    const n = Buffer.from(order.padStart(size * 2, '0'), 'hex');
    expect(verifySignature(spec(alg), key, Buffer.from(input), Buffer.alloc(size * 2))).toBe(false);
    expect(verifySignature(spec(alg), key, Buffer.from(input), Buffer.concat([n, n]))).toBe(false);
  });

  it('rejects a DER-encoded ECDSA signature (JWS uses raw r||s)', () => {
    const pair = generateTestKey('ES256');
    const key = toVerificationKey(pair.publicKey, undefined, undefined, undefined);
    const der = cryptoSign('sha256', Buffer.from(input), pair.privateKey);
    expect(verifySignature(spec('ES256'), key, Buffer.from(input), der)).toBe(false);
  });

  it('rejects an Ed25519 signature checked with an RSA key', () => {
    const ed = generateKeyPairSync('ed25519');
    const rsa = generateTestKey('RS256');
    const key = toVerificationKey(rsa.publicKey, undefined, undefined, undefined);
    expect(verifySignature(spec('EdDSA'), key, Buffer.from(input), signBytes('EdDSA', ed.privateKey, input))).toBe(
      false,
    );
  });

  describe('RSA signatures are exactly the modulus length (RFC 8017 8.1.2 / 8.2.2)', () => {
    const pair = generateTestKey('PS256');
    const key = toVerificationKey(pair.publicKey, undefined, undefined, undefined);
    // A message whose PS256 signature starts with a zero byte (about 1 in 256): found by counting up.
    const zeroFirst = (alg: 'PS256' | 'RS256'): { message: string; signature: Buffer } => {
      for (let i = 0; ; i++) {
        const message = `${input}${i}`;
        const signature = signBytes(alg, pair.privateKey, message);
        if (signature[0] === 0) return { message, signature };
      }
    };

    it('node:crypto itself takes a PS256 signature with its leading zero stripped (why the check exists)', () => {
      const { message, signature } = zeroFirst('PS256');
      const pss = { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      expect(cryptoVerify('sha256', Buffer.from(message), pss, signature.subarray(1))).toBe(true);
    });

    it.each(['PS256', 'RS256'] as const)('%s: refuses the stripped form, accepts the full one', (alg) => {
      const { message, signature } = zeroFirst(alg);
      expect(signature).toHaveLength(256);
      expect(verifySignature(spec(alg), key, Buffer.from(message), signature)).toBe(true);
      expect(verifySignature(spec(alg), key, Buffer.from(message), signature.subarray(1))).toBe(false);
    });

    it.each(['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const)(
      '%s: refuses a signature left-padded with a zero byte',
      (alg) => {
        const signature = signBytes(alg, pair.privateKey, input);
        expect(verifySignature(spec(alg), key, Buffer.from(input), signature)).toBe(true);
        const padded = Buffer.concat([Buffer.alloc(1), signature]);
        expect(verifySignature(spec(alg), key, Buffer.from(input), padded)).toBe(false);
      },
    );
  });
});
