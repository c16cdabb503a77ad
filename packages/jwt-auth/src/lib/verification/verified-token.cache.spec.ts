import type { VerifiedTokenEntry } from './verified-token.cache';
import { VerifiedTokenCache } from './verified-token.cache';

const entry = (issuer: string) => ({ issuer }) as unknown as VerifiedTokenEntry;
// Distinct tokens of one length (a bound in bytes then holds a fixed number of them).
const token = (n: number) => `header.payload.${n.toString(36).padStart(40, 'x')}`;

describe('VerifiedTokenCache', () => {
  it('answers only for the exact token, even when two tokens share a lookup key', () => {
    const cache = new VerifiedTokenCache(1 << 20);
    const tail = 'S'.repeat(40);
    const a = `aaaa.bbbb.${tail}`;
    const b = `aaaa.cccc.${tail}`; // same length and signature tail, different token
    cache.set(a, entry('a'));
    expect(cache.get(a)).toEqual({ issuer: 'a' });
    expect(cache.get(b)).toBeUndefined();
    cache.delete(b);
    expect(cache.get(a)).toEqual({ issuer: 'a' });
    cache.set(b, entry('b'));
    expect(cache.get(a)).toBeUndefined();
    expect(cache.get(b)).toEqual({ issuer: 'b' });
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(VerifiedTokenCache.entryBytes(b));
  });

  it('never holds more bytes than its bound, however many distinct tokens stream through', () => {
    const perEntry = VerifiedTokenCache.entryBytes(token(0));
    const cache = new VerifiedTokenCache(perEntry * 100 + perEntry / 2);
    let most = 0;
    for (let i = 0; i < 200_000; i++) {
      cache.set(token(i), entry(String(i)));
      if (i % 7 === 0) cache.get(token(i - 3));
      most = Math.max(most, cache.bytes);
    }
    expect(most).toBeLessThanOrEqual(cache.maxBytes);
    expect(cache.size).toBe(100);
    expect(cache.bytes).toBe(perEntry * 100);
    expect(cache.get(token(199_999))).toEqual({ issuer: '199999' });
    expect(cache.get(token(1000))).toBeUndefined();
  });

  it('charges each entry by the length of its token', () => {
    const short = VerifiedTokenCache.entryBytes(`a.b.${'c'.repeat(100)}`);
    const long = VerifiedTokenCache.entryBytes(`a.b.${'c'.repeat(1000)}`);
    expect(long - short).toBe(2 * 900);
    const cache = new VerifiedTokenCache(long - 1);
    cache.set(`a.b.${'c'.repeat(1000)}`, entry('too big'));
    expect(cache.size).toBe(0);
  });

  it('keeps tokens that are presented again while one-time tokens stream past (CLOCK, not FIFO)', () => {
    const perEntry = VerifiedTokenCache.entryBytes(token(0));
    const cache = new VerifiedTokenCache(perEntry * 50);
    const hot = [
      'hot.one.sig-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'hot.two.sig-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    ];
    for (const t of hot) cache.set(t, entry(t));
    let hotHits = 0;
    for (let i = 0; i < 10_000; i++) {
      cache.set(token(i), entry('once'));
      // Each hot token is presented again about every 20 one-time tokens: under FIFO it would be gone after 50.
      if (i % 20 === 0) for (const t of hot) if (cache.get(t) !== undefined) hotHits++;
    }
    expect(hotHits).toBe(2 * 500);
    // A token that was never presented again is evicted in insertion order.
    expect(cache.get(token(0))).toBeUndefined();
    expect(cache.get(token(9_999))).toEqual({ issuer: 'once' });
  });

  it('when every entry was presented again, clears the marks in one sweep and evicts oldest first', () => {
    const perEntry = VerifiedTokenCache.entryBytes(token(0));
    const cache = new VerifiedTokenCache(perEntry * 10);
    for (let i = 0; i < 10; i++) cache.set(token(i), entry(String(i)));
    for (let i = 0; i < 10; i++) cache.get(token(i));
    cache.set(token(10), entry('10'));
    expect(cache.get(token(0))).toBeUndefined();
    // token(1) lost its mark in the sweep and was not presented since: it goes next, not token(10).
    cache.set(token(11), entry('11'));
    expect(cache.get(token(1))).toBeUndefined();
    expect(cache.get(token(10))).toEqual({ issuer: '10' });
    expect(cache.size).toBe(10);
  });

  it('honours an entry bound, and stores nothing when disabled by bytes or entries', () => {
    const cache = new VerifiedTokenCache(1 << 20, 2);
    cache.set(token(1), entry('1'));
    cache.set(token(2), entry('2'));
    cache.set(token(3), entry('3'));
    expect(cache.size).toBe(2);
    expect(cache.get(token(1))).toBeUndefined();
    expect(cache.get(token(3))).toEqual({ issuer: '3' });
    for (const off of [new VerifiedTokenCache(0), new VerifiedTokenCache(1 << 20, 0)]) {
      off.set(token(1), entry('x'));
      expect(off.get(token(1))).toBeUndefined();
      expect(off.bytes).toBe(0);
    }
  });

  it('removes only the exact token on delete, and frees its bytes', () => {
    const cache = new VerifiedTokenCache(1 << 20);
    cache.set(token(1), entry('1'));
    cache.set(token(2), entry('2'));
    cache.delete(token(1));
    expect(cache.get(token(1))).toBeUndefined();
    expect(cache.get(token(2))).toEqual({ issuer: '2' });
    expect(cache.bytes).toBe(VerifiedTokenCache.entryBytes(token(2)));
    cache.delete(token(2));
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    cache.set(token(3), entry('3'));
    expect(cache.get(token(3))).toEqual({ issuer: '3' });
  });
});
