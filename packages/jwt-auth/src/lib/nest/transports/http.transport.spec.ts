import { createHttpRequest } from '../../../testing/execution-context';
import { extractHttpTokens, headerLimitReached } from './http.transport';

const junk = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-junk-${i}`, 'a']));
const onServer = (maxHeadersCount: number | null) => ({ socket: { server: { maxHeadersCount } } });
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('headers at the server limit', () => {
  it("uses Node's parser default (1000 headers) when the server sets no maxHeadersCount", () => {
    expect(headerLimitReached(createHttpRequest(junk(999), onServer(null)))).toBe(false);
    expect(headerLimitReached(createHttpRequest(junk(1000), onServer(null)))).toBe(true);
    expect(headerLimitReached(createHttpRequest(junk(1000)))).toBe(true);
  });

  it("follows the server's maxHeadersCount, and 0 (no limit) never trips", () => {
    expect(headerLimitReached(createHttpRequest(junk(1999), onServer(2000)))).toBe(false);
    expect(headerLimitReached(createHttpRequest(junk(2000), onServer(2000)))).toBe(true);
    expect(headerLimitReached(createHttpRequest(junk(10), onServer(10)))).toBe(true);
    expect(headerLimitReached(createHttpRequest(junk(3000), onServer(0)))).toBe(false);
  });

  it('reads the Node request behind a Fastify request', () => {
    const raw = createHttpRequest(junk(20), onServer(20));
    expect(headerLimitReached({ headers: raw.headers, raw })).toBe(true);
  });

  it('refuses such a request as too_many_headers even when it shows one Authorization header', () => {
    const request = createHttpRequest({ authorization: 'Bearer a.b.c', ...junk(1999) }, onServer(2000));
    expect(code(() => extractHttpTokens(request, []))).toBe('too_many_headers');
    const fewer = createHttpRequest({ authorization: 'Bearer a.b.c', ...junk(1998) }, onServer(2000));
    expect(extractHttpTokens(fewer, [])).toEqual(['a.b.c']);
  });
});
