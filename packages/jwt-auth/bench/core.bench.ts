import {
  constants,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { AccessTokenVerifier, type IssuerOptions } from '../src/index';
import { noChecksVerifier } from './floor';
import { compareAll, type BenchResult } from './measure';

export type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256';
const ISSUER = 'https://issuer.bench';
const TOKENS = 256;

function keysFor(alg: Alg): { signKey: KeyObject; verifyKey: KeyObject } {
  if (alg === 'HS256') {
    const secret = randomBytes(32);
    const key = require('node:crypto').createSecretKey(secret) as KeyObject;
    return { signKey: key, verifyKey: key };
  }
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { signKey: pair.privateKey, verifyKey: pair.publicKey };
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };

function rawVerifier(alg: Alg, key: KeyObject): (data: Buffer, sig: Buffer) => boolean {
  switch (alg) {
    case 'RS256':
      return (d, s) => verify('sha256', d, key, s);
    case 'PS256':
      return (d, s) => verify('sha256', d, { key, ...PSS }, s);
    case 'ES256':
      return (d, s) => verify('sha256', d, { key, dsaEncoding: 'ieee-p1363' }, s);
    case 'EdDSA':
      return (d, s) => verify(null, d, key, s);
    case 'HS256':
      return (d, s) => timingSafeEqual(createHmac('sha256', key).update(d).digest(), s);
  }
}

function signer(alg: Alg, key: KeyObject): (data: Buffer) => Buffer {
  switch (alg) {
    case 'RS256':
      return (d) => sign('sha256', d, key);
    case 'PS256':
      return (d) => sign('sha256', d, { key, ...PSS });
    case 'ES256':
      return (d) => sign('sha256', d, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return (d) => sign(null, d, key);
    case 'HS256':
      return (d) => createHmac('sha256', key).update(d).digest();
  }
}

/** Tokens of one algorithm for the benchmarks: compact strings, and the same signing inputs and signatures as bytes. */
export interface TokenSet {
  readonly alg: Alg;
  readonly issuer: string;
  readonly audience: string;
  readonly verifyKey: KeyObject;
  readonly tokens: readonly string[];
  /** Bare node:crypto verification of raw[i], the baseline every row is measured against. */
  readonly baseline: () => void;
}

export function tokenSet(alg: Alg): TokenSet {
  const { signKey, verifyKey } = keysFor(alg);
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: 'bench-key' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const sigFn = signer(alg, signKey);
  const tokens: string[] = [];
  const raw: { data: Buffer; sig: Buffer }[] = [];
  for (let i = 0; i < TOKENS; i++) {
    const payload = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        sub: `user-${i}`,
        aud: 'bench-api',
        iat: now,
        exp: now + 3600,
        jti: randomBytes(8).toString('hex'),
        client_id: 'bench',
        scope: 'orders:read orders:write',
      }),
    ).toString('base64url');
    const data = Buffer.from(`${header}.${payload}`);
    const sig = sigFn(data);
    tokens.push(`${header}.${payload}.${sig.toString('base64url')}`);
    raw.push({ data, sig });
  }
  const check = rawVerifier(alg, verifyKey);
  let j = 0;
  const baseline = (): void => {
    const r = raw[j++ % TOKENS];
    if (!check(r.data, r.sig)) throw new Error('baseline failed');
  };
  return { alg, issuer: ISSUER, audience: 'bench-api', verifyKey, tokens, baseline };
}

/** Verify throughput of the core against bare node:crypto on the same tokens and the same KeyObject. */
export async function benchCore(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA', 'HS256'] as Alg[]) {
    const set = tokenSet(alg);
    const issuer: IssuerOptions =
      alg === 'HS256'
        ? { issuer: ISSUER, audience: set.audience, algorithms: ['HS256'], secret: set.verifyKey }
        : { issuer: ISSUER, audience: set.audience, algorithms: [alg], keys: { key: set.verifyKey, kid: 'bench-key' } };
    // The verified-token cache is off: this measures the full verification path on every call.
    const verifier = new AccessTokenVerifier({ issuers: [issuer], verifiedTokenCacheSize: 0 });
    for (const token of set.tokens.slice(0, 3)) await verifier.verify(token); // sanity: valid tokens verify
    // The no-checks floor runs in the same rounds as the core, so floor_ratio compares figures taken side by side.
    const floor = noChecksVerifier(set);
    for (const token of set.tokens.slice(0, 3)) floor(token);
    let i = 0;
    let j = 0;
    const [core, floorRow] = await compareAll(
      [
        [`verify ${alg}`, () => verifier.verify(set.tokens[i++ % TOKENS])],
        [`floor ${alg}: no checks`, () => floor(set.tokens[j++ % TOKENS])],
      ],
      set.baseline,
      // Rounds alternate between baseline and subjects; the median of 11 keeps a disturbed round out.
      { rounds: 11 },
    );
    results.push({ ...core, floor_ratio: Number((core.ops_per_sec / floorRow.ops_per_sec).toFixed(3)) }, floorRow);
    verifier.close();
  }
  return results;
}
