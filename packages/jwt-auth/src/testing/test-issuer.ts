import { constants, createHmac, generateKeyPair, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  type JwsAlgorithm,
} from '../lib/jws/algorithms';
import type { JwkSet } from '../lib/keys/jwk';
import type { KeyLookup, KeySource, KeySourceState } from '../lib/keys/key-source.interface';
import { toVerificationKey, type VerificationKey } from '../lib/keys/verification-key';
import type { IssuerOptions } from '../lib/verification/verifier-options.interface';

const generate = promisify(generateKeyPair);

/** Options of {@link TestIssuer.create}. */
export interface TestIssuerOptions {
  /** Asymmetric algorithms to generate one key each for. @default every asymmetric algorithm (RS/PS/ES 256/384/512, EdDSA) */
  readonly algorithms?: readonly AsymmetricAlgorithm[];
  /** The `iss` to mint. @default the server URL once started, else `https://issuer.test` */
  readonly issuer?: string;
  /** The default `aud` of minted tokens. @default 'test-api' */
  readonly audience?: string;
  /** RSA modulus length in bits. @default 2048 */
  readonly rsaModulusLength?: number;
}

/** Options of {@link TestIssuer.sign}. */
export interface TestSignOptions {
  /** Signing algorithm. @default the first configured algorithm */
  readonly alg?: JwsAlgorithm;
  /** Header `kid`; `null` omits it. @default the current key of `alg` (none for HS*) */
  readonly kid?: string | null;
  /** Header members merged over `{ alg, typ: 'at+jwt', kid }`; an `undefined` value removes the member. */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Seconds from now to `exp`. @default 300 */
  readonly expiresIn?: number;
  /** Seconds from now to `nbf` (negative for the past); omitted when unset. */
  readonly notBefore?: number;
  /** Sign with this private key (or HMAC secret) instead of the issuer's: for forged-signature tests. */
  readonly key?: KeyObject | Buffer;
}

/** How {@link TestIssuer.issuerOptions} tells the verifier about the keys. */
export type TestKeyMode = 'jwks' | 'discovery' | 'static' | 'key-source' | 'hmac';

interface TestKey {
  readonly kid: string;
  readonly alg: AsymmetricAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const EC_CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;
const DEFAULT_ISSUER = 'https://issuer.test';
const JWKS_PATH = '/jwks.json';
const DISCOVERY_PATH = '/.well-known/openid-configuration';

async function generateKey(
  alg: AsymmetricAlgorithm,
  modulusLength: number,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg === 'EdDSA') return generate('ed25519');
  if (alg.startsWith('ES')) return generate('ec', { namedCurve: EC_CURVES[alg as keyof typeof EC_CURVES] });
  return generate('rsa', { modulusLength });
}

function b64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Signature bytes over the JWS signing input (node:crypto; ECDSA as IEEE P1363 r||s, RFC 7518 section 3.4). */
export function signJwsInput(alg: JwsAlgorithm, key: KeyObject | Buffer, input: string): Buffer {
  // latin1: one byte per char, so a malformed (non-base64url) signing input is signed exactly as given.
  const data = Buffer.from(input, 'latin1');
  if (alg.startsWith('HS'))
    return createHmac(`sha${alg.slice(2)}`, key)
      .update(data)
      .digest();
  if (Buffer.isBuffer(key)) throw new TypeError(`${alg} needs a private KeyObject, not a secret`);
  if (alg === 'EdDSA') return sign(null, data, key);
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('PS'))
    return sign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  if (alg.startsWith('ES')) return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  return sign(hash, data, key);
}

/**
 * A throwaway token issuer for tests: per-run keys for every algorithm, an HMAC secret, a JWKS and OIDC discovery
 * server on 127.0.0.1 (with hit counters and an outage switch), a live in-memory key source, token minting with
 * claim and header overrides, and key rotation. No key material ever leaves the process.
 * @example
 * const issuer = await TestIssuer.create({ algorithms: ['RS256', 'EdDSA'] });
 * await issuer.start();
 * JwtAuthModule.forRoot(issuer.issuerOptions('jwks'));
 * const token = issuer.sign({ scope: 'orders:read' }, { alg: 'EdDSA' });
 */
export class TestIssuer {
  /** Default `aud` of minted tokens. */
  readonly audience: string;
  /** 64 random bytes: long enough for HS256, HS384 and HS512. */
  readonly secret: Buffer = randomBytes(64);
  /** Requests served, per endpoint, and key lookups through {@link TestIssuer.keySource}. */
  readonly hits = { jwks: 0, discovery: 0, keySource: 0 };

  private readonly keys: TestKey[] = [];
  private readonly current = new Map<AsymmetricAlgorithm, TestKey>();
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private available = true;
  private generation = 0;

  private constructor(
    private readonly options: TestIssuerOptions,
    readonly algorithms: readonly AsymmetricAlgorithm[],
  ) {
    this.audience = options.audience ?? 'test-api';
  }

  /** Generate the keys (in parallel) and return the issuer. */
  static async create(options: TestIssuerOptions = {}): Promise<TestIssuer> {
    const algorithms = options.algorithms ?? [...ASYMMETRIC_ALGORITHMS];
    if (algorithms.length === 0) throw new TypeError('TestIssuer needs at least one asymmetric algorithm');
    const issuer = new TestIssuer(options, [...algorithms]);
    await Promise.all(algorithms.map((alg) => issuer.rotate(alg)));
    return issuer;
  }

  /** The `iss` of minted tokens. */
  get issuerUrl(): string {
    return this.options.issuer ?? this.baseUrl ?? DEFAULT_ISSUER;
  }

  /** The JWKS URL (after {@link TestIssuer.start}). */
  get jwksUri(): string {
    return `${this.requireStarted()}${JWKS_PATH}`;
  }

  /** The discovery document URL (after {@link TestIssuer.start}). */
  get discoveryUri(): string {
    return `${this.requireStarted()}${DISCOVERY_PATH}`;
  }

  /** Serve the JWKS and discovery document on 127.0.0.1 at an ephemeral port. */
  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(JSON.stringify(body));
      };
      if (path === JWKS_PATH) this.hits.jwks++;
      else if (path === DISCOVERY_PATH) this.hits.discovery++;
      else return send(404, { error: 'not_found' });
      if (!this.available) return send(503, { error: 'unavailable' });
      if (path === JWKS_PATH) return send(200, this.jwks());
      return send(200, {
        issuer: this.issuerUrl,
        jwks_uri: `${this.baseUrl}${JWKS_PATH}`,
        id_token_signing_alg_values_supported: this.algorithms,
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** Stop the server and drop its connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Simulate an outage: while unavailable, both endpoints answer 503. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /** The public JWKS: one member per key, with `kid`, `alg` and `use: 'sig'`. */
  jwks(): JwkSet {
    return {
      keys: this.keys.map((key) => ({
        ...(key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>),
        kid: key.kid,
        alg: key.alg,
        use: 'sig',
      })),
    };
  }

  /** The current signing key id of `alg`. */
  kid(alg: AsymmetricAlgorithm): string {
    return this.keyFor(alg).kid;
  }

  /** The current public key of `alg` (for static-key configurations). */
  publicKey(alg: AsymmetricAlgorithm): KeyObject {
    return this.keyFor(alg).publicKey;
  }

  /**
   * Add a new key for `alg` and sign with it from now on; with `removePrevious` the older keys of `alg` are dropped
   * from the JWKS and the key source. Resolves to the new `kid`.
   */
  async rotate(alg: AsymmetricAlgorithm, options: { removePrevious?: boolean } = {}): Promise<string> {
    const pair = await generateKey(alg, this.options.rsaModulusLength ?? 2048);
    const key: TestKey = { kid: `${alg.toLowerCase()}-${++this.generation}-${randomUUID().slice(0, 8)}`, alg, ...pair };
    if (options.removePrevious) {
      for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i].alg === alg) this.keys.splice(i, 1);
    }
    this.keys.push(key);
    this.current.set(alg, key);
    return key.kid;
  }

  /** Drop a key from the JWKS and the key source (tokens already signed with it stop verifying after a refresh). */
  removeKey(kid: string): void {
    const index = this.keys.findIndex((key) => key.kid === kid);
    if (index >= 0) {
      const [removed] = this.keys.splice(index, 1);
      if (this.current.get(removed.alg) === removed) {
        const next = [...this.keys].reverse().find((key) => key.alg === removed.alg);
        if (next) this.current.set(removed.alg, next);
        else this.current.delete(removed.alg);
      }
    }
  }

  /**
   * Mint a signed token. Defaults: `iss`, `aud`, `sub: 'test-user'`, `client_id: 'test-client'`, `iat` now, `exp` in
   * 300 s, `jti` (so the RFC 9068 profile accepts it); `claims`
   * override them and an `undefined` claim is removed.
   * @example issuer.sign({ scope: 'a b', sub: 'alice' }, { alg: 'ES256', expiresIn: -10 })
   */
  sign(claims: Readonly<Record<string, unknown>> = {}, options: TestSignOptions = {}): string {
    const alg = options.alg ?? this.algorithms[0];
    const symmetric = (SYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
    const key = options.key ?? (symmetric ? this.secret : this.keyFor(alg as AsymmetricAlgorithm).privateKey);
    const kid =
      options.kid === null
        ? undefined
        : (options.kid ?? (symmetric ? undefined : this.keyFor(alg as AsymmetricAlgorithm).kid));
    const now = Math.floor(Date.now() / 1000);
    const header = withoutUndefined({ alg, typ: 'at+jwt', kid, ...options.header });
    const payload = withoutUndefined({
      iss: this.issuerUrl,
      aud: this.audience,
      sub: 'test-user',
      client_id: 'test-client',
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...(options.notBefore === undefined ? {} : { nbf: now + options.notBefore }),
      jti: randomUUID(),
      ...claims,
    });
    return this.signRaw(header, payload, alg, key);
  }

  /** Sign exact header and payload objects (JSON-encoded as given), for malformed-token tests. */
  signRaw(
    header: Readonly<Record<string, unknown>>,
    payload: Readonly<Record<string, unknown>>,
    alg: JwsAlgorithm,
    key: KeyObject | Buffer,
  ): string {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    return `${input}.${signJwsInput(alg, key, input).toString('base64url')}`;
  }

  /**
   * A live in-memory {@link KeySource} over the issuer's current keys (rotation and removal show at once); counts
   * lookups in `hits.keySource`.
   */
  keySource(): KeySource {
    const cache = new Map<string, VerificationKey>();
    const state = (): KeySourceState => ({
      kind: 'test',
      status: 'fresh',
      keyIds: this.keys.map((key) => key.kid),
      keyCount: this.keys.length,
      consecutiveFailures: 0,
    });
    const toKey = (key: TestKey): VerificationKey => {
      let verificationKey = cache.get(key.kid);
      if (!verificationKey) {
        verificationKey = toVerificationKey(key.publicKey, key.kid, key.alg, undefined);
        cache.set(key.kid, verificationKey);
      }
      return verificationKey;
    };
    return {
      getKeys: async ({ kid, alg }: KeyLookup) => {
        this.hits.keySource++;
        return this.keys.filter((key) => (kid === undefined ? key.alg === alg : key.kid === kid)).map(toKey);
      },
      getState: state,
    };
  }

  /**
   * Issuer options for the verifier / `JwtAuthModule` in the given key mode: `jwks` and `discovery` need
   * {@link TestIssuer.start} (and allow plain http), `static` passes the JWKS, `key-source` the live key source,
   * `hmac` the secret with HS256/384/512.
   */
  issuerOptions(mode: TestKeyMode = 'static', overrides: Partial<IssuerOptions> = {}): IssuerOptions {
    const base = { issuer: this.issuerUrl, audience: this.audience };
    switch (mode) {
      case 'jwks':
        return { ...base, algorithms: this.algorithms, jwksUri: this.jwksUri, allowInsecureHttp: true, ...overrides };
      case 'discovery':
        this.requireStarted();
        return { ...base, algorithms: this.algorithms, discovery: true, allowInsecureHttp: true, ...overrides };
      case 'static':
        return { ...base, algorithms: this.algorithms, keys: this.jwks(), ...overrides };
      case 'key-source':
        return { ...base, algorithms: this.algorithms, keySource: this.keySource(), ...overrides };
      case 'hmac':
        return { ...base, algorithms: [...SYMMETRIC_ALGORITHMS], secret: this.secret, ...overrides };
    }
  }

  private keyFor(alg: AsymmetricAlgorithm): TestKey {
    const key = this.current.get(alg);
    if (!key) throw new TypeError(`TestIssuer has no ${alg} key; list it in TestIssuer.create({ algorithms })`);
    return key;
  }

  private requireStarted(): string {
    if (!this.baseUrl || !this.server) throw new TypeError('TestIssuer is not started; await issuer.start() first');
    return this.baseUrl;
  }
}
