import { AuthErrorCode } from '../errors/auth.errors';
import { b64u } from '../__fixtures__/tokens';
import { randomBytes } from 'node:crypto';
import { ASCII_WRITE_SLACK, decodeBase64UrlBytes, decodeCanonicalBase64Url, viewOf, writeAscii } from './base64url';

const isCanonicalBase64Url = (segment: string): boolean => decodeCanonicalBase64Url(segment) !== undefined;
import { decodeJsonSegment, payloadOf, TokenParser, type CompactParseOptions, type ParsedCompactJws } from './compact';

// One parser for the tests that share a scratch buffer and header cache, as one verifier does.
const parser = new TokenParser();
const parseCompactJws = (token: unknown, options?: CompactParseOptions): ParsedCompactJws =>
  options === undefined ? parser.parse(token) : new TokenParser(options).parse(token);
const parseJsonPayload = (parsed: ParsedCompactJws, from = parser): ReturnType<TokenParser['parsePayload']> =>
  from.parsePayload(parsed);
// Copies of the bytes withSignedBytes hands to its callback (the views themselves live for the call only).
function signedBytesOf(parsed: ParsedCompactJws, from = parser): { signingInput: Buffer; signature: Buffer } {
  let copies: { signingInput: Buffer; signature: Buffer } | undefined;
  from.withSignedBytes(parsed, (signingInput, signature) => {
    copies = { signingInput: Buffer.from(signingInput), signature: Buffer.from(signature) };
    return true;
  });
  if (copies === undefined) throw new Error('withSignedBytes did not call back');
  return copies;
}
const signingInputOf = (parsed: ParsedCompactJws, from = parser): Buffer => signedBytesOf(parsed, from).signingInput;
const signatureOf = (parsed: ParsedCompactJws, from = parser): Buffer => signedBytesOf(parsed, from).signature;

const header = b64u({ alg: 'ES256', typ: 'at+jwt' });
const payload = b64u({ iss: 'https://issuer.test' });
const signature = Buffer.alloc(64, 7).toString('base64url');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('canonical base64url', () => {
  it('accepts canonical encodings of every length class', () => {
    for (const bytes of [1, 2, 3, 4, 5, 32, 33])
      expect(isCanonicalBase64Url(Buffer.alloc(bytes, 0xab).toString('base64url'))).toBe(true);
  });

  it.each([
    ['QQ=', 'padding'],
    ['QQ==', 'padding'],
    ['Q R', 'whitespace'],
    ['ab+/', 'standard alphabet'],
    ['QR', 'non-zero unused bits (QQ is canonical)'],
    ['QUJ', 'non-zero unused bits (QUI is canonical)'],
    ['A', 'impossible length'],
    ['', 'empty'],
    ['a?b', 'a character outside the alphabet'],
  ])('rejects %j (%s)', (segment) => {
    expect(isCanonicalBase64Url(segment)).toBe(false);
  });

  it('is exactly the set of strings that re-encode to themselves', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const samples: string[] = [];
    for (const a of alphabet) for (const b of alphabet) samples.push(a + b, `Q${a}${b}`, `QUJD${a}`);
    for (const s of samples) {
      expect(isCanonicalBase64Url(s)).toBe(Buffer.from(s, 'base64url').toString('base64url') === s);
    }
  });
});

// The native decoder, used only as an oracle: a string is canonical when it is non-empty and re-encodes to itself.
function nativeCanonical(s: string): boolean {
  return s.length > 0 && Buffer.from(s, 'base64url').toString('base64url') === s;
}

describe('decodeCanonicalBase64Url', () => {
  it('accepts exactly the strings that re-encode to themselves, and decodes them as the native decoder does', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Characters a lenient decoder might skip, stop at, map from the other alphabet or truncate to a valid byte
    // (U+0141 and U+0100 have the low bytes of 'A' and NUL, U+FF21 is a fullwidth 'A').
    const odd = ['+', '/', '=', ' ', '\n', '.', '\u0141', '\u0100', '\uff21', '\u0000', '\u00c1', '\u007f', '\ud83d'];
    const samples = ['', 'QUJD', 'QUJDRA', 'QUJDRA==', 'QUJDRE'];
    for (const a of [...alphabet, ...odd])
      for (const b of [...alphabet.slice(0, 20), ...odd]) samples.push(a + b, `Q${a}${b}`, `QUJD${a}`, `QU${a}D`);
    for (const s of samples) {
      const decoded = decodeCanonicalBase64Url(s);
      expect({ s, accepted: decoded !== undefined }).toEqual({ s, accepted: nativeCanonical(s) });
      if (decoded) expect(decoded.equals(Buffer.from(s, 'base64url'))).toBe(true);
    }
  });

  it('round-trips random bytes of every length from 1 to 300', () => {
    for (let length = 1; length <= 300; length++) {
      const bytes = randomBytes(length);
      const decoded = decodeCanonicalBase64Url(bytes.toString('base64url'));
      expect(decoded?.equals(bytes)).toBe(true);
    }
  });

  it('refuses a single bad character at any position of a long segment', () => {
    const segment = randomBytes(100).toString('base64url');
    for (let i = 0; i < segment.length; i++) {
      for (const bad of ['=', '+', '\u0141', '\u00c1']) {
        expect(decodeCanonicalBase64Url(segment.slice(0, i) + bad + segment.slice(i + 1))).toBeUndefined();
      }
    }
  });
});

describe('decodeBase64UrlBytes', () => {
  it('decodes a range of a byte buffer into another at an offset, and refuses bytes above 0x7f', () => {
    const source = Buffer.from('..QUJDRA..', 'latin1');
    const target = Buffer.alloc(8, 0xee);
    const view = viewOf(target);
    expect(decodeBase64UrlBytes(source, 2, 8, view, 3)).toBe(4);
    expect(target.subarray(3, 7).toString('latin1')).toBe('ABCD');
    expect(target[2]).toBe(0xee);
    expect(decodeBase64UrlBytes(source, 2, 2, view, 0)).toBe(-1);
    expect(decodeBase64UrlBytes(Buffer.from([0x51, 0x55, 0xca, 0x44]), 0, 4, view, 0)).toBe(-1);
  });
});

describe('writeAscii', () => {
  const isAscii = (text: string): boolean => writeAscii(text, Buffer.alloc(text.length + ASCII_WRITE_SLACK), 0);

  it('writes ASCII text one byte per character', () => {
    const target = Buffer.alloc(16, 0xee);
    expect(writeAscii('abc.-_', target, 2)).toBe(true);
    expect(target.subarray(2, 8).toString('latin1')).toBe('abc.-_');
    expect(isAscii('')).toBe(true);
  });

  it('is false for any code unit from 0x80 up, at every position, with exactly the slack it asks for', () => {
    const odd = ['\u0080', '\u00ff', '\u0141', '\u07ff', '\u0800', '\ud83d', '\udc00', '\ud83d\ude00', '\uffff'];
    for (const unit of odd) {
      for (const text of [
        `${unit}`,
        `a${unit}`,
        `${unit}a`,
        `ab${unit}cd`,
        `${'x'.repeat(40)}${unit}`,
        `${unit}${'x'.repeat(40)}`,
      ]) {
        expect({ text, ascii: isAscii(text) }).toEqual({ text, ascii: false });
      }
    }
  });
});

describe('TokenParser state (one per owner)', () => {
  it('caches a header per parser, so two parsers with different depth limits each decide a shared segment', () => {
    const nested = b64u({ alg: 'ES256', ext: { deep: [1] } });
    const token = `${nested}.${payload}.${signature}`;
    const shallow = new TokenParser({ maxJsonDepth: 2 });
    const deep = new TokenParser();
    for (let round = 0; round < 3; round++) {
      expect(deep.parse(token).header['alg']).toBe('ES256');
      expect(code(() => shallow.parse(token))).toBe(AuthErrorCode.TOKEN_MALFORMED);
    }
    const fresh = new TokenParser({ maxJsonDepth: 2 });
    expect(code(() => fresh.parse(token))).toBe(AuthErrorCode.TOKEN_MALFORMED);
    expect(new TokenParser().parse(token).header).toEqual({ alg: 'ES256', ext: { deep: [1] } });
  });

  it("hands out one segment string per cached header, equal to the token's", () => {
    const own = new TokenParser();
    const a = own.parse(`${header}.${payload}.${signature}`);
    const b = own.parse(`${header}.${b64u({ iss: 'x' })}.${signature}`);
    expect(a.headerSegment).toBe(header);
    expect(b.headerSegment).toBe(a.headerSegment);
    expect(b.header).toBe(a.header);
    expect(new TokenParser().parse(`${header}.${payload}.${signature}`).header).not.toBe(a.header);
  });

  it("shows each parser its own scratch bytes, only inside withSignedBytes, and returns the callback's answer", () => {
    const one = new TokenParser();
    const two = new TokenParser();
    const a = one.parse(`${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`);
    const b = two.parse(`${header}.${payload}.${Buffer.alloc(64, 2).toString('base64url')}`);
    const seen: ArrayBufferLike[] = [];
    for (const [parser, parsed, fill] of [
      [one, a, 1],
      [two, b, 2],
    ] as const) {
      expect(
        parser.withSignedBytes(parsed, (signingInput, signature) => {
          seen.push(signature.buffer);
          expect(signingInput.buffer).toBe(signature.buffer);
          expect(Buffer.from(signingInput).toString('latin1')).toBe(`${header}.${payload}`);
          return Buffer.from(signature).equals(Buffer.alloc(64, fill));
        }),
      ).toBe(true);
    }
    expect(seen[0]).not.toBe(seen[1]);
    expect(one.withSignedBytes(a, () => false)).toBe(false);
  });
});

describe('parseCompactJws', () => {
  it('splits a well-formed token', () => {
    const parsed = parseCompactJws(`${header}.${payload}.${signature}`);
    expect(parsed.header['alg']).toBe('ES256');
    expect(Buffer.from(signingInputOf(parsed)).toString('latin1')).toBe(`${header}.${payload}`);
    expect(Buffer.from(signatureOf(parsed)).equals(Buffer.alloc(64, 7))).toBe(true);
    expect(payloadOf(parsed).toString()).toBe('{"iss":"https://issuer.test"}');
  });

  it('hands out the signing input and signature of the token asked for, even after another parse used the scratch', () => {
    const signatureA = Buffer.alloc(64, 1).toString('base64url');
    const signatureB = Buffer.alloc(96, 2).toString('base64url');
    const payloadB = b64u({ iss: 'https://other.test', sub: 'x'.repeat(300) });
    const a = parseCompactJws(`${header}.${payload}.${signatureA}`);
    const b = parseCompactJws(`${header}.${payloadB}.${signatureB}`);
    for (const [parsed, input, sig] of [
      [a, `${header}.${payload}`, Buffer.alloc(64, 1)],
      [b, `${header}.${payloadB}`, Buffer.alloc(96, 2)],
      [a, `${header}.${payload}`, Buffer.alloc(64, 1)],
    ] as const) {
      expect(Buffer.from(signingInputOf(parsed)).toString('latin1')).toBe(input);
      expect(Buffer.from(signatureOf(parsed)).equals(sig)).toBe(true);
    }
    // A parse that fails half-way leaves the scratch unusable for the last good parse: it is written again.
    expect(code(() => parseCompactJws(`${header}.${payloadB}.${signatureB}!`))).toBe(AuthErrorCode.TOKEN_MALFORMED);
    expect(Buffer.from(signatureOf(b)).equals(Buffer.alloc(96, 2))).toBe(true);
    expect(Buffer.from(signingInputOf(b)).toString('latin1')).toBe(`${header}.${payloadB}`);
  });

  it.each([
    ['two segments', `${header}.${payload}`],
    ['four segments', `${header}.${payload}.${signature}.x`],
    ['an empty signature', `${header}.${payload}.`],
    ['an empty payload', `${header}..${signature}`],
    ['an empty header', `.${payload}.${signature}`],
    ['padding', `${header}.${payload}=.${signature}`],
    ['whitespace', `${header}.${payload} .${signature}`],
    ['a newline', `${header}\n.${payload}.${signature}`],
    ['the standard alphabet', `${header}.${payload}.${signature.replace(/-/g, '+').replace(/_/g, '/')}+/`],
    ['a non-canonical signature', `${header}.${payload}.${signature.slice(0, -1)}B`],
    ['a non-canonical payload', `${header}.${b64u('{"a":1}').slice(0, -1)}1.${signature}`],
    [
      'a payload in the standard alphabet',
      `${header}.${b64u('{"a":"~~~"}').replace(/-/g, '+').replace(/_/g, '/')}.${signature}`,
    ],
    ['a non-string', 42],
    ['an empty string', ''],
  ])('rejects %s as malformed', (_what, token) => {
    expect(code(() => parseCompactJws(token))).toBe(AuthErrorCode.TOKEN_MALFORMED);
  });

  it('tells apart header segments of equal length that differ in any one byte', () => {
    const kids = ['k0000', 'k0001', 'j0000', 'k1000', 'k0100', 'k0010'];
    for (let round = 0; round < 3; round++) {
      for (const kid of kids) {
        for (const typ of ['at+jwt', 'at+JWT']) {
          const h = b64u({ alg: 'ES256', typ, kid });
          expect(parseCompactJws(`${h}.${payload}.${signature}`).header).toEqual({ alg: 'ES256', typ, kid });
        }
      }
    }
    // Lengths around the four-byte steps of the comparison.
    for (const kid of ['a', 'ab', 'abc', 'abcd', 'abce', 'abc']) {
      expect(parseCompactJws(`${b64u({ alg: 'ES256', kid })}.${payload}.${signature}`).header['kid']).toBe(kid);
    }
  });

  it('grows the scratch buffer for a long token and keeps every byte of it', () => {
    const longPayload = b64u({ iss: 'https://issuer.test', pad: 'p'.repeat(60_000) });
    const longSignature = randomBytes(513);
    const long = new TokenParser({ maxTokenLength: 100_000 });
    const parsed = long.parse(`${header}.${longPayload}.${longSignature.toString('base64url')}`);
    expect(parseJsonPayload(parsed, long)['pad']).toBe('p'.repeat(60_000));
    expect(Buffer.from(signatureOf(parsed, long)).equals(longSignature)).toBe(true);
    expect(Buffer.from(signingInputOf(parsed, long)).toString('latin1')).toBe(`${header}.${longPayload}`);
  });

  it('refuses a character above 0xff whose low byte is a base64url character, in every segment', () => {
    // U+0141 and U+0161 have the low bytes of 'A' and 'a': a latin1 copy would turn them into valid characters.
    const token = `${header}.${payload}.${signature}`;
    for (const index of [1, header.length + 2, token.length - 2]) {
      for (const odd of ['\u0141', '\u0161']) {
        const bad = token.slice(0, index) + odd + token.slice(index + 1);
        expect(code(() => parseCompactJws(bad))).toBe(AuthErrorCode.TOKEN_MALFORMED);
      }
    }
  });

  it('refuses five-segment (JWE) tokens as unsupported, whatever their segments hold', () => {
    expect(code(() => parseCompactJws(`${header}.a.b.c.d`))).toBe(AuthErrorCode.TOKEN_UNSUPPORTED);
    // Direct encryption leaves the second segment empty; every segment may also be valid base64url.
    expect(code(() => parseCompactJws(`${header}..${payload}.${payload}.${signature}`))).toBe(
      AuthErrorCode.TOKEN_UNSUPPORTED,
    );
    expect(code(() => parseCompactJws(`${header}.${payload}.${payload}.${payload}.${signature}`))).toBe(
      AuthErrorCode.TOKEN_UNSUPPORTED,
    );
    expect(code(() => parseCompactJws(`${header}.${payload}.${payload}.\u0141.${signature}`))).toBe(
      AuthErrorCode.TOKEN_UNSUPPORTED,
    );
  });

  it('names the segment count before any decoding fault', () => {
    for (const token of [
      `${header}.${payload}.${signature}.${signature}`,
      `${header}.${payload}=.${signature}.x`,
      `${header}.\u0141.${signature}.x`,
    ]) {
      expect(() => parseCompactJws(token)).toThrow(/three segments/);
    }
  });

  it('checks the length before decoding anything', () => {
    const huge = `${header}.${'A'.repeat(9000)}.${signature}`;
    expect(code(() => parseCompactJws(huge))).toBe(AuthErrorCode.TOKEN_TOO_LARGE);
    expect(code(() => parseCompactJws('x'.repeat(1024 * 1024)))).toBe(AuthErrorCode.TOKEN_TOO_LARGE);
    expect(code(() => parseCompactJws(huge, { maxTokenLength: 20_000 }))).toBeUndefined();
  });

  it.each([
    ['a duplicate member', b64u('{"alg":"none","alg":"ES256"}')],
    ['a JSON array', b64u('["ES256"]')],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')],
    ['a byte order mark', b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"alg":"ES256"}')]))],
    ['deep nesting', b64u('{"a":'.repeat(50) + '1' + '}'.repeat(50))],
    ['not JSON', b64u('alg=ES256')],
  ])('rejects a header with %s', (_what, badHeader) => {
    expect(code(() => parseCompactJws(`${badHeader}.${payload}.${signature}`))).toBe(AuthErrorCode.TOKEN_MALFORMED);
  });

  it.each([
    ['a duplicate member', b64u('{"exp":1,"exp":2}')],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')],
    ['a byte order mark', b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"exp":1}')]))],
    ['a JSON array', b64u('[1]')],
  ])('parseJsonPayload rejects a payload with %s', (_what, badPayload) => {
    expect(code(() => parseJsonPayload(parseCompactJws(`${header}.${badPayload}.${signature}`)))).toBe(
      AuthErrorCode.TOKEN_MALFORMED,
    );
  });

  it('parseJsonPayload keeps a U+FFFD that was really in the payload', () => {
    const parsed = parseCompactJws(`${header}.${b64u('{"name":"\ufffd"}')}.${signature}`);
    expect(parseJsonPayload(parsed)['name']).toBe('\ufffd');
  });

  it('decodes payloads with the same strictness', () => {
    expect(decodeJsonSegment(payload, 'payload')['iss']).toBe('https://issuer.test');
    expect(code(() => decodeJsonSegment(b64u('{"exp":1,"exp":2}'), 'payload'))).toBe(AuthErrorCode.TOKEN_MALFORMED);
    expect(code(() => decodeJsonSegment(`${payload}=`, 'payload'))).toBe(AuthErrorCode.TOKEN_MALFORMED);
  });
});
