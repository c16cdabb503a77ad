import { jwtVerify } from 'jose';
import * as jsonwebtoken from 'jsonwebtoken';
import { compare, type BenchResult } from './measure';
import { tokenSet, type Alg, type TokenSet } from './core.bench';
import { noChecksVerifier, signatureCheck } from './floor';

// Reference rows: what other ways of checking the same tokens reach against the same bare crypto.verify baseline.
// They put the core's ratio in context: the no-checks floor is the most any verifier can reach on the machine at hand.

/**
 * The same no-checks floor with Node's native base64url decoding (`Buffer.from(segment, 'base64url')`), as
 * jsonwebtoken and most libraries do it. Next to the row above it shows, on the machine at hand, what the native
 * decoder costs the signature check that follows it (decision 008).
 */
function noChecksNativeBase64Verifier(set: TokenSet): (token: string) => void {
  const check = signatureCheck(set);
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('latin1')) as { alg?: string };
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as {
      exp?: number;
    };
    if (header.alg !== set.alg) throw new Error('bad token');
    if (!check(Buffer.from(token.slice(0, second), 'latin1'), Buffer.from(token.slice(second + 1), 'base64url')))
      throw new Error('bad signature');
    if (!(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000)) throw new Error('expired');
  };
}

export async function benchReference(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const alg of ['RS256', 'PS256'] as Alg[]) {
    const set = tokenSet(alg);
    const options = { algorithms: [alg], issuer: set.issuer, audience: set.audience };
    const floor = noChecksVerifier(set);
    const subjects: [string, (token: string) => unknown][] = [
      ['no-checks floor', floor],
      ['no-checks floor, native base64url', noChecksNativeBase64Verifier(set)],
      [
        'jsonwebtoken 9 with a KeyObject',
        (token) => jsonwebtoken.verify(token, set.verifyKey, options as jsonwebtoken.VerifyOptions),
      ],
      ['jose 6 jwtVerify', (token) => jwtVerify(token, set.verifyKey, options)],
    ];
    for (const [name, verify] of subjects) {
      for (const token of set.tokens.slice(0, 3)) await verify(token); // sanity: valid tokens verify
      let i = 0;
      results.push(
        await compare(`reference ${alg}: ${name}`, () => verify(set.tokens[i++ % set.tokens.length]), set.baseline, {
          rounds: 11,
        }),
      );
    }
  }
  return results;
}
