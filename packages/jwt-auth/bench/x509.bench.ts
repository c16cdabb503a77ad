import { AccessTokenVerifier } from '../src/index';
import { X509TrustStore } from '../src/core/index';
import { listenOnLoopback } from '../src/lib/__fixtures__/jwks-server';
import { mint, pkiKey, signX509Token, type Minted, type PkiAlg, type PkiKey } from '../src/lib/__fixtures__/pki';
import { compare, opsPerSecond, type BenchResult } from './measure';

const ISSUER = 'https://pki-issuer.test';
const TOKENS = 256;
const HOSTILE = 200;

interface Pki {
  readonly root: Minted;
  readonly inter: Minted;
  readonly leaf: Minted;
  readonly leafKey: PkiKey;
}

async function pki(alg: PkiAlg): Promise<Pki> {
  const [rootKey, interKey, leafKey] = await Promise.all([pkiKey(alg), pkiKey(alg), pkiKey(alg)]);
  const root = await mint({ subject: 'CN=Bench Root', key: rootKey, ca: true });
  const inter = await mint({ subject: 'CN=Bench Intermediate', key: interKey, issuer: root, ca: true, pathLen: 0 });
  const leaf = await mint({ subject: 'CN=tokens.bench', key: leafKey, issuer: inter });
  return { root, inter, leaf, leafKey };
}

function tokens(key: PkiKey, header: Record<string, unknown>): string[] {
  return Array.from({ length: TOKENS }, (_, i) =>
    signX509Token(key, header, { sub: `user-${i}`, jti: `j${i}` }, ISSUER),
  );
}

/**
 * X.509 rows: an x5c token with a warm chain cache against the same algorithm's JWKS path (same key, loopback JWKS,
 * both verified-token caches off), cold chain validation, and hostile self-made chains refused per second.
 */
export async function benchX509(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const alg of ['ES256', 'RS256'] as PkiAlg[]) {
    const { root, inter, leaf, leafKey } = await pki(alg);
    const jwk = { ...leafKey.publicKey.export({ format: 'jwk' }), kid: 'bench-key', use: 'sig', alg };
    const server = await listenOnLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const common = { issuer: ISSUER, audience: 'api', algorithms: [alg] };
    const viaJwks = new AccessTokenVerifier({
      issuers: [{ ...common, jwksUri: `${server.origin}/jwks`, allowInsecureHttp: true }],
      verifiedTokenCacheSize: 0,
    });
    const viaX5c = new AccessTokenVerifier({
      issuers: [{ ...common, trust: { anchors: [root.pem] } }],
      verifiedTokenCacheSize: 0,
    });
    const kidTokens = tokens(leafKey, { kid: 'bench-key' });
    const x5cTokens = tokens(leafKey, { x5c: [leaf.b64, inter.b64] });
    await viaJwks.verify(kidTokens[0]);
    await viaX5c.verify(x5cTokens[0]);
    let i = 0;
    let j = 0;
    results.push(
      await compare(
        `x509 ${alg} x5c warm chain cache vs JWKS path`,
        () => viaX5c.verify(x5cTokens[i++ % TOKENS]),
        () => viaJwks.verify(kidTokens[j++ % TOKENS]),
        { rounds: 11 },
      ),
    );

    // The same comparison with the JWKS tokens padded to the x5c header's size: what is left is the trust store's own
    // cost (the rest of the gap above is hashing and parsing a token that carries two certificates).
    const padded = tokens(leafKey, { kid: 'bench-key', pad: 'A'.repeat(leaf.b64.length + inter.b64.length) });
    await viaJwks.verify(padded[0]);
    let p = 0;
    results.push(
      await compare(
        `x509 ${alg} x5c warm vs JWKS path, same header size`,
        () => viaX5c.verify(x5cTokens[i++ % TOKENS]),
        () => viaJwks.verify(padded[p++ % TOKENS]),
        { rounds: 11 },
      ),
    );

    // Cold: no chain cache, so every call parses both certificates and checks two certificate signatures.
    const cold = new X509TrustStore({ anchors: [root.pem], chainCacheSize: 0 }, { algorithms: new Set([alg]) });
    const chain = [leaf.b64, inter.b64];
    const coldOps = await opsPerSecond(
      () => cold.resolve({ x5c: [...chain], x5t: undefined, x5tS256: undefined, jwk: undefined }, alg),
      20,
      1500,
    );
    results.push({
      case: `x509 ${alg} cold chain validation`,
      ops_per_sec: Math.round(coldOps),
      baseline_ops_per_sec: Math.round(coldOps),
      ratio: 1,
    });

    // Hostile: each token brings a fresh self-made chain that copies the real CA names.
    const hostile: string[] = [];
    // One attacker key of the issuer's algorithm; each chain is still new (fresh serials), so nothing is cached.
    const fakeKey = await pkiKey(alg);
    for (let h = 0; h < HOSTILE; h++) {
      const fakeRoot = await mint({ subject: 'CN=Bench Root', key: fakeKey, ca: true });
      const fakeInter = await mint({ subject: 'CN=Bench Intermediate', key: fakeKey, issuer: fakeRoot, ca: true });
      const fakeLeaf = await mint({ subject: 'CN=tokens.bench', key: fakeKey, issuer: fakeInter });
      hostile.push(signX509Token(fakeKey, { x5c: [fakeLeaf.b64, fakeInter.b64, fakeRoot.b64] }, {}, ISSUER));
    }
    let h = 0;
    let accepted = 0;
    const hostileOps = await opsPerSecond(
      () =>
        viaX5c.verify(hostile[h++ % HOSTILE]).then(
          () => void accepted++,
          () => undefined,
        ),
      20,
      1500,
    );
    if (accepted > 0) throw new Error('a hostile chain was accepted');
    results.push({
      case: `x509 ${alg} hostile self-made chains refused`,
      ops_per_sec: Math.round(hostileOps),
      baseline_ops_per_sec: Math.round(hostileOps),
      ratio: 1,
    });
    viaJwks.close();
    viaX5c.close();
    await server.close();
  }
  return results;
}
