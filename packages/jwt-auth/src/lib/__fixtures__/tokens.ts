import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signJwsInput } from '../../testing/test-issuer';

/** Test-only helpers for the core's unit specs (excluded from the build). */
export type TestAlg =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'HS256'
  | 'HS384'
  | 'HS512';

export interface TestKeyPair {
  readonly alg: TestAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;

export function generateTestKey(alg: Exclude<TestAlg, 'HS256' | 'HS384' | 'HS512'>, modulusLength = 2048): TestKeyPair {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return { alg, ...generateKeyPairSync('rsa', { modulusLength }) };
  if (alg === 'EdDSA') return { alg, ...generateKeyPairSync('ed25519') };
  return { alg, ...generateKeyPairSync('ec', { namedCurve: CURVES[alg as keyof typeof CURVES] }) };
}

export const b64u = (value: string | Buffer | object): string =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString(
    'base64url',
  );

/** Signature bytes over `input` for `alg`: the testing kit's signer, the one JWS signer of the tests. */
export function signBytes(alg: TestAlg, key: KeyObject, input: string): Buffer {
  return signJwsInput(alg, key, input);
}

/** Sign raw header/payload segments (strings are used verbatim, objects JSON-encoded). */
export function signRaw(alg: TestAlg, key: KeyObject, header: string | object, payload: string | object): string {
  const input = `${typeof header === 'string' ? header : b64u(header)}.${typeof payload === 'string' ? payload : b64u(payload)}`;
  return `${input}.${signBytes(alg, key, input).toString('base64url')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A valid access token for `iss`/`aud`, with overrides. */
export function signToken(
  pair: { alg: TestAlg; privateKey: KeyObject },
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): string {
  const now = nowSeconds();
  return signRaw(
    pair.alg,
    pair.privateKey,
    { alg: pair.alg, typ: 'at+jwt', ...header },
    { iss: 'https://issuer.test', aud: 'api', sub: 'user-1', iat: now, exp: now + 300, scope: 'read write', ...claims },
  );
}
