import type { VerifiedTokenEntry } from './verified-token.cache';
import { VerifiedTokenCache } from './verified-token.cache';

const entry = (issuer: string) => ({ issuer }) as unknown as VerifiedTokenEntry;

describe('VerifiedTokenCache', () => {
  it('answers only for the exact token, even when two tokens share a lookup key', () => {
    const cache = new VerifiedTokenCache(10);
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
  });

  it('evicts the oldest entry beyond its bound and stores nothing when disabled', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('t1.x.sig-one', entry('1'));
    cache.set('t2.x.sig-two', entry('2'));
    cache.set('t3.x.sig-three', entry('3'));
    expect(cache.size).toBe(2);
    expect(cache.get('t1.x.sig-one')).toBeUndefined();
    expect(cache.get('t3.x.sig-three')).toEqual({ issuer: '3' });
    const off = new VerifiedTokenCache(0);
    off.set('t.x.y', entry('x'));
    expect(off.get('t.x.y')).toBeUndefined();
  });
});
