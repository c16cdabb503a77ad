import { randomBytes } from 'node:crypto';
import { AccessTokenVerifier } from '../src/index';
import { signJwsInput } from '../src/testing/index';
import { VerifiedTokenCache, type VerifiedTokenEntry } from '../src/lib/verification/verified-token.cache';
import type { BenchResult } from './measure';

const ISSUER = 'https://issuer.bench';

// A deterministic generator, so the trace (and the hit ratios) are the same on every run.
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A day of traffic as token ids: `users` users whose activity follows Zipf(1), each presenting its current token
 * (renewed every hour, at a per-user offset) on each request, plus a share of requests with a token seen once
 * (new logins that leave, scanners, short-lived machine tokens).
 */
function trace(requests: number, users: number, oneTimeShare: number): Float64Array {
  const random = mulberry32(12);
  const cdf = new Float64Array(users);
  let sum = 0;
  for (let u = 0; u < users; u++) cdf[u] = sum += 1 / (u + 1);
  for (let u = 0; u < users; u++) cdf[u] /= sum;
  const ids = new Float64Array(requests);
  const hour = requests / 24;
  let oneTime = 0;
  for (let i = 0; i < requests; i++) {
    if (random() < oneTimeShare) {
      ids[i] = -++oneTime;
      continue;
    }
    const x = random();
    let lo = 0;
    let hi = users - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    const epoch = Math.floor((i + ((lo * 7919) % hour)) / hour);
    ids[i] = lo * 100 + epoch;
  }
  return ids;
}

interface Policy {
  get(id: number): boolean;
  set(id: number): void;
}

function fifo(capacity: number): Policy {
  const map = new Map<number, true>();
  return {
    get: (id) => map.has(id),
    set: (id) => {
      if (map.size >= capacity) map.delete(map.keys().next().value as number);
      map.set(id, true);
    },
  };
}

function lru(capacity: number): Policy {
  const map = new Map<number, true>();
  return {
    get: (id) => {
      if (!map.has(id)) return false;
      map.delete(id);
      map.set(id, true);
      return true;
    },
    set: (id) => {
      if (map.size >= capacity) map.delete(map.keys().next().value as number);
      map.set(id, true);
    },
  };
}

function clock(capacity: number): Policy {
  const slots = new Float64Array(capacity).fill(NaN);
  const referenced = new Uint8Array(capacity);
  const where = new Map<number, number>();
  let hand = 0;
  return {
    get: (id) => {
      const slot = where.get(id);
      if (slot === undefined) return false;
      referenced[slot] = 1;
      return true;
    },
    set: (id) => {
      while (referenced[hand] === 1) {
        referenced[hand] = 0;
        hand = (hand + 1) % capacity;
      }
      if (!Number.isNaN(slots[hand])) where.delete(slots[hand]);
      slots[hand] = id;
      where.set(id, hand);
      hand = (hand + 1) % capacity;
    },
  };
}

// SIEVE (Zhang et al., NSDI 2024): hits set a flag in place; the hand walks from the oldest entry toward the newest,
// clearing flags, and evicts the first unflagged entry; new entries go in at the newest end.
function sieve(capacity: number): Policy {
  interface N {
    id: number;
    visited: boolean;
    newer?: N;
    older?: N;
  }
  const map = new Map<number, N>();
  let newest: N | undefined;
  let oldest: N | undefined;
  let hand: N | undefined;
  const unlink = (n: N) => {
    if (n.newer) n.newer.older = n.older;
    else newest = n.older;
    if (n.older) n.older.newer = n.newer;
    else oldest = n.newer;
  };
  return {
    get: (id) => {
      const n = map.get(id);
      if (n === undefined) return false;
      n.visited = true;
      return true;
    },
    set: (id) => {
      if (map.size >= capacity) {
        let n = (hand ?? oldest) as N;
        while (n.visited) {
          n.visited = false;
          n = n.newer ?? (oldest as N);
        }
        hand = n.newer;
        unlink(n);
        map.delete(n.id);
      }
      const n: N = { id, visited: false, older: newest };
      if (newest) newest.newer = n;
      newest = n;
      oldest ??= n;
      map.set(id, n);
    },
  };
}

// The package's cache itself (second-chance CLOCK): tokens of one length, so its bound in bytes bounds entries.
function packageCache(capacity: number): Policy {
  const token = (id: number) => `t.${String(id).padStart(24, '0')}`;
  const cache = new VerifiedTokenCache(VerifiedTokenCache.entryBytes(token(0)) * capacity);
  const entry = {} as VerifiedTokenEntry;
  return { get: (id) => cache.get(token(id)) !== undefined, set: (id) => cache.set(token(id), entry) };
}

function hitRatio(policy: Policy, ids: Float64Array): number {
  let hits = 0;
  for (const id of ids) {
    if (policy.get(id)) hits++;
    else policy.set(id);
  }
  return hits / ids.length;
}

function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// The heap a verified token's cache entry really keeps: N distinct tokens verified into a large cache, heap after GC.
async function heapPerEntry(
  verifier: (maxBytes?: number) => AccessTokenVerifier,
  token: (i: number) => string,
): Promise<BenchResult> {
  const n = 20_000;
  const filled = verifier(1 << 30);
  for (let i = 0; i < 200; i++) await filled.verify(token(-1 - i));
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) await filled.verify(token(i));
  gc();
  const measured = (process.memoryUsage().heapUsed - before) / n;
  const charged = filled.getVerifiedTokenCacheState().bytes / filled.getVerifiedTokenCacheState().entries;
  filled.close();
  return {
    case: `cache heap per entry, ${token(0).length}-char HS256 token (measured / charged)`,
    ops_per_sec: 0,
    baseline_ops_per_sec: 0,
    ratio: Number((measured / charged).toFixed(3)),
    figures: { measured_bytes: Math.round(measured), charged_bytes: Math.round(charged), token_chars: token(0).length },
  };
}

/**
 * The verified-token cache: hit ratios of FIFO, LRU, CLOCK and SIEVE (the package's) on a day of many users each
 * reusing their token, at three capacities; the heap one entry really takes against what the cache charges; heap
 * and RSS after a million distinct tokens have streamed through a verifier with the default bound.
 */
export async function benchCache(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const ids = trace(2_000_000, 50_000, 0.1);
  for (const capacity of [1000, 4000, 16000]) {
    const figures: Record<string, number> = {};
    for (const [name, make] of Object.entries({ fifo, lru, sieve, clock, package: packageCache }))
      figures[`${name}_hit_ratio`] = Number(hitRatio(make(capacity), ids).toFixed(4));
    results.push({
      case: `cache hit ratio, 50k users, 10% one-time tokens, ${capacity} entries (package / LRU)`,
      ops_per_sec: 0,
      baseline_ops_per_sec: 0,
      ratio: Number((figures['package_hit_ratio'] / figures['lru_hit_ratio']).toFixed(3)),
      figures,
    });
  }

  // Tokens shaped like the identity service's access tokens (sub, client_id, scope, jti), signed with HS256 so that
  // a million of them mint and verify in seconds.
  const hsSecret = randomBytes(32);
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const token = (i: number) => {
    const payload = Buffer.from(
      JSON.stringify({
        iss: ISSUER,
        sub: `user-${i}`,
        aud: 'orders-api',
        client_id: 'web-app',
        scope: 'openid orders:read orders:write',
        iat: now,
        exp: now + 3600,
        jti: `${i.toString(36)}-0123456789abcdef`,
      }),
    ).toString('base64url');
    const input = `${header}.${payload}`;
    return `${input}.${signJwsInput('HS256', hsSecret, input).toString('base64url')}`;
  };
  const verifier = (maxBytes?: number) =>
    new AccessTokenVerifier({
      issuers: [{ issuer: ISSUER, audience: 'orders-api', algorithms: ['HS256'], secret: hsSecret }],
      ...(maxBytes === undefined ? {} : { verifiedTokenCacheMaxBytes: maxBytes }),
    });

  results.push(await heapPerEntry(verifier, token));

  // A million distinct tokens through a verifier with the default bound (32 MiB).
  const streamed = verifier();
  gc();
  const start = process.memoryUsage();
  let peakHeap = 0;
  for (let i = 0; i < 1_000_000; i++) {
    await streamed.verify(token(i));
    if (i % 100_000 === 99_999) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  gc();
  const end = process.memoryUsage();
  const state = streamed.getVerifiedTokenCacheState();
  results.push({
    case: '1,000,000 distinct tokens streamed, default bound: cache MiB / bound MiB',
    ops_per_sec: 0,
    baseline_ops_per_sec: 0,
    ratio: Number((state.bytes / state.maxBytes).toFixed(3)),
    figures: {
      entries: state.entries,
      cache_mib: mib(state.bytes),
      bound_mib: mib(state.maxBytes),
      heap_before_mib: mib(start.heapUsed),
      heap_after_mib: mib(end.heapUsed),
      heap_peak_sampled_mib: mib(peakHeap),
      rss_before_mib: mib(start.rss),
      rss_after_mib: mib(end.rss),
    },
  });
  streamed.close();
  return results;
}
