import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { forge, type ForgeKey } from './jws-forge';

const generate = promisify(generateKeyPair);

/** The algorithms a {@link ForgingIssuer} holds one key each for. */
export type ForgingAlg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface ForgingKey {
  readonly alg: ForgingAlg;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;

async function keyFor(alg: ForgingAlg): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg === 'EdDSA') return generate('ed25519');
  if (alg === 'ES256' || alg === 'ES384' || alg === 'ES512') return generate('ec', { namedCurve: CURVES[alg] });
  return generate('rsa', { modulusLength: 2048 });
}

/**
 * A test issuer whose private keys the test holds (unlike `TestIssuer`), so a test can sign any bytes: duplicate
 * members, non-canonical segments, hostile claims. Keys are generated per run; the JWKS is served on 127.0.0.1 only,
 * with a hit counter.
 */
export class ForgingIssuer {
  hits = 0;
  /** Raw members served after the issuer's own keys (hostile JWKS content: weak keys, forged kids). */
  extraMembers: object[] = [];
  private readonly server: Server;
  private port = 0;

  private constructor(readonly keys: Readonly<Record<ForgingAlg, ForgingKey>>) {
    this.server = createServer((request, response) => {
      this.hits++;
      if (request.url !== '/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      const jwks = {
        keys: [
          ...Object.values(keys).map((k) => ({
            ...(k.publicKey.export({ format: 'jwk' }) as object),
            kid: k.kid,
            alg: k.alg,
            use: 'sig',
          })),
          ...this.extraMembers,
        ],
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
  }

  static async start(algs: readonly ForgingAlg[]): Promise<ForgingIssuer> {
    const entries = await Promise.all(
      algs.map(
        async (alg) =>
          [alg, { alg, kid: `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`, ...(await keyFor(alg)) }] as const,
      ),
    );
    const issuer = new ForgingIssuer(Object.fromEntries(entries) as Record<ForgingAlg, ForgingKey>);
    await new Promise<void>((resolve) => issuer.server.listen(0, '127.0.0.1', resolve));
    issuer.port = (issuer.server.address() as AddressInfo).port;
    return issuer;
  }

  /** The issuer URL (also its `iss`): http://127.0.0.1:<port>. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  /** Sign exact segments (strings verbatim, objects as JSON) with this issuer's key for `alg`, or with `key`. */
  forge(
    alg: string,
    header: string | object,
    payload: string | object,
    key: ForgeKey = this.keys[alg as ForgingAlg].privateKey,
  ): string {
    return forge(alg, key, header, payload);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback server that only counts requests: any hit means something dereferenced a URL from a token. */
export class Canary {
  hits = 0;
  private readonly server: Server = createServer((_request, response) => {
    this.hits++;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  private port = 0;

  static async start(): Promise<Canary> {
    const canary = new Canary();
    await new Promise<void>((resolve) => canary.server.listen(0, '127.0.0.1', resolve));
    canary.port = (canary.server.address() as AddressInfo).port;
    return canary;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
