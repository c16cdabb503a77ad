import { AuthError } from '../errors/auth.errors';
import {
  collectBearerTokens,
  oneToken,
  parseBearerCredentials,
  readBearerCredentials,
  readBearerTokens,
  singleToken,
} from './bearer-credentials';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AuthError).code;
  }
};

describe('parseBearerCredentials', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER abc.def.ghi', 'abc.def.ghi'],
    ['Bearer   abc', 'abc'],
    ['  Bearer abc-_~+/.9==  ', 'abc-_~+/.9=='],
    ['\t Bearer abc \t', 'abc'],
  ])('reads %j', (value, token) => {
    expect(parseBearerCredentials(value)).toBe(token);
  });

  it.each(['', '   ', 'Basic dXNlcjpwYXNz', 'Digest username="x"', 'Bearerabc', 'Token abc'])(
    'finds no bearer token in %j',
    (value) => {
      expect(parseBearerCredentials(value)).toBeUndefined();
    },
  );

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a=b', 'Bearer a\tb', 'Bearer "abc"', 'Bearer ab;c', 'Bearer ä'])(
    'refuses %j as malformed',
    (value) => {
      expect(code(() => parseBearerCredentials(value))).toBe('token_malformed');
    },
  );

  // RFC 9110: only SP and HTAB are whitespace; String#trim() would strip every one of these and accept the token.
  it.each([
    ['NBSP before the scheme', '\u00a0Bearer abc'],
    ['NBSP after the token', 'Bearer abc\u00a0'],
    ['NEL after the token', 'Bearer abc\u0085'],
    ['EM SPACE before the scheme', '\u2003Bearer abc'],
    ['IDEOGRAPHIC SPACE after the token', 'Bearer abc\u3000'],
    ['BOM before the scheme', '\ufeffBearer abc'],
    ['line feed after the token', 'Bearer abc\n'],
    ['vertical tab before the scheme', '\u000bBearer abc'],
  ])('refuses whitespace beyond SP/HTAB: %s', (_what, value) => {
    expect(code(() => parseBearerCredentials(value))).toBe('token_malformed');
  });

  it.each(['Bearer a, Bearer b', 'Bearer a,b', 'Basic x, Bearer y'])('refuses comma-joined credentials %j', (value) => {
    expect(code(() => parseBearerCredentials(value))).toBe('multiple_tokens');
  });

  it.each([
    ['padding inside the token', 'Bearer abc==def'],
    ['a stray character after padding', 'Bearer abc=!'],
    ['a stray character after a long token', `Bearer ${'a'.repeat(8000)}!`],
  ])('refuses %s', (_what, value) => {
    expect(code(() => parseBearerCredentials(value))).toBe('token_malformed');
  });
});

describe('collectBearerTokens / singleToken', () => {
  it('collects one token per value and refuses non-strings', () => {
    expect(collectBearerTokens(['Bearer a', 'Basic b'])).toEqual(['a']);
    expect(code(() => collectBearerTokens([42]))).toBe('token_malformed');
  });

  it('answers the single token, undefined for none, multiple_tokens for more', () => {
    expect(singleToken(['a'])).toBe('a');
    expect(singleToken([])).toBeUndefined();
    expect(code(() => singleToken(['a', 'a']))).toBe('multiple_tokens');
  });
});

// The hot-path variants answer a refusal as a value; they must agree with the throwing ones on every input.
describe('readBearerCredentials / readBearerTokens / oneToken', () => {
  const outcome = (fn: () => unknown): unknown => {
    try {
      return fn();
    } catch (error) {
      return error;
    }
  };

  it.each([
    'Bearer abc.def.ghi',
    '  Bearer abc  ',
    'Basic dXNlcjpwYXNz',
    '',
    'Bearer',
    'Bearer a b',
    'Bearer ab;c',
    '\u00a0Bearer abc',
    'Bearer a, Bearer b',
    ' Bearer a=b ',
  ])('answers %j as parseBearerCredentials does, without throwing', (value) => {
    const read = outcome(() => readBearerCredentials(value));
    const parsed = outcome(() => parseBearerCredentials(value));
    if (parsed instanceof AuthError) {
      expect(read).toBeInstanceOf(AuthError);
      expect((read as AuthError).code).toBe(parsed.code);
    } else {
      expect(read).toBe(parsed);
    }
  });

  it('shares each refusal, frozen: it carries nothing of the request', () => {
    const first = readBearerCredentials('Bearer a b');
    expect(first).toBeInstanceOf(AuthError);
    expect(readBearerCredentials('Bearer c;d')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen((first as AuthError).details)).toBe(true);
    expect(oneToken(['a', 'b'])).toBe(oneToken(['c', 'd']));
    expect(readBearerTokens([42])).toBe(readBearerTokens([{}]));
  });

  it('returns the first refusal of a list as a value, and more than one token as multiple_tokens', () => {
    expect(readBearerTokens(['Bearer a', 'Basic b'])).toEqual(['a']);
    expect((readBearerTokens(['Bearer a', 42]) as AuthError).code).toBe('token_malformed');
    expect((readBearerTokens(['Bearer a', 'Bearer a b']) as AuthError).code).toBe('token_malformed');
    expect(oneToken(['a'])).toBe('a');
    expect(oneToken([])).toBeUndefined();
    expect((oneToken(['a', 'b']) as AuthError).code).toBe('multiple_tokens');
  });
});
