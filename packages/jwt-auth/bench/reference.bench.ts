import { constants, verify as cryptoVerify } from 'node:crypto';
import { jwtVerify } from 'jose';
import * as jsonwebtoken from 'jsonwebtoken';
import { base64UrlDecodedLength, decodeBase64UrlBytes, viewOf } from '../src/lib/jws/base64url';
import { compare, type BenchResult } from './measure';
import { tokenSet, type Alg, type TokenSet } from './core.bench';

// Reference rows: what other ways of checking the same tokens reach against the same bare crypto.verify baseline.
// They put the core's ratio in context: the no-checks floor is the most any verifier can reach on the machine at hand.

// The key as node:crypto takes it for the set's algorithm (PSS padding for PS256).
function verifyKeyInput(set: TokenSet): Parameters<typeof cryptoVerify>[2] {
  return set.alg === 'PS256'
    ? { key: set.verifyKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : set.verifyKey;
}

/**
 * A verifier with no checks beyond the signature, `alg` and `exp`: split, decode (with the package's base64url decoder,
 * the faster one here, see decision 010), JSON.parse, crypto.verify. Accepts duplicate members, non-canonical
 * JSON, any `typ`, `iss` or `aud`: never use it. It only measures how close to bare crypto.verify a verifier can get.
 */
function noChecksVerifier(set: TokenSet): (token: string) => void {
  const options = verifyKeyInput(set);
  let scratch = Buffer.allocUnsafe(16384);
  let view = viewOf(scratch);
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const n = token.length;
    if (scratch.length < 3 * n) {
      scratch = Buffer.allocUnsafe(3 * n);
      view = viewOf(scratch);
    }
    scratch.write(token, 0, n, 'latin1');
    const headerLength = decodeBase64UrlBytes(scratch, 0, first, view, n);
    const header = JSON.parse(scratch.toString('latin1', n, n + headerLength)) as { alg?: string };
    const payloadLength = decodeBase64UrlBytes(scratch, first + 1, second, view, n);
    const payload = JSON.parse(scratch.toString('utf8', n, n + payloadLength)) as { exp?: number };
    const signatureLength = decodeBase64UrlBytes(scratch, second + 1, n, view, n);
    if (header.alg !== set.alg || signatureLength !== base64UrlDecodedLength(n - second - 1))
      throw new Error('bad token');
    const data = new Uint8Array(scratch.buffer, scratch.byteOffset, second);
    const signature = new Uint8Array(scratch.buffer, scratch.byteOffset + n, signatureLength);
    if (!cryptoVerify('sha256', data, options, signature)) throw new Error('bad signature');
    if (!(typeof payload.exp === 'number' && payload.exp > Date.now() / 1000)) throw new Error('expired');
  };
}

/**
 * The same no-checks floor with Node's native base64url decoding (`Buffer.from(segment, 'base64url')`), as
 * jsonwebtoken and most libraries do it. Next to the row above it shows, on the machine at hand, what the native
 * decoder costs the signature check that follows it (decision 010).
 */
function noChecksNativeBase64Verifier(set: TokenSet): (token: string) => void {
  const options = verifyKeyInput(set);
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    const header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('latin1')) as { alg?: string };
    const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8')) as {
      exp?: number;
    };
    if (header.alg !== set.alg) throw new Error('bad token');
    if (
      !cryptoVerify(
        'sha256',
        Buffer.from(token.slice(0, second), 'latin1'),
        options,
        Buffer.from(token.slice(second + 1), 'base64url'),
      )
    ) {
      throw new Error('bad signature');
    }
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
