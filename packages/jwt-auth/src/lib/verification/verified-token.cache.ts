import type { AuthPrincipal } from '../jwt/principal';
import type { JsonObject } from '../json/strict-json';
import type { KeyLookup } from '../keys/key-source.interface';
import type { VerificationKey } from '../keys/verification-key';
import type { X509HeaderParams } from '../jws/header';

/** A token that verified once: its principal, claims and the key that verified its signature. */
export interface VerifiedTokenEntry {
  readonly issuer: string;
  readonly principal: AuthPrincipal;
  readonly claims: JsonObject;
  readonly key: VerificationKey;
  /** The key lookup (`kid`, `alg`) that found {@link key}, asked again on every hit. */
  readonly lookup: KeyLookup;
  /** The X.509 header members, when the key came from the issuer's trust store (asked again on every hit). */
  readonly x509?: X509HeaderParams;
}

/**
 * Heap bytes charged per entry besides the token's characters: the node, the map slot, the claims object with its
 * strings, the frozen principal and its scope list. Measured with `npm run bench -- --only=cache` (the row "heap per
 * entry" must stay below the charge): an RS256 access token of ~700 characters takes ~2.4 KB in all.
 */
export const VERIFIED_TOKEN_ENTRY_OVERHEAD = 1024;
/** Bytes charged per token character: the token itself (one-byte string) and its decoded payload in the claims. */
export const VERIFIED_TOKEN_BYTES_PER_CHAR = 2;

// Tokens arrive as new strings on every request, so a Map keyed by the whole token would hash ~1 KB each time. The
// key is a 31-bit hash of the token's length and the tail of its signature (random bytes). A hit also compares the
// full token, so two tokens sharing a key can only cause a miss, never a wrong answer.
const KEY_TAIL = 24;

function cacheKey(token: string): number {
  let hash = token.length | 0;
  for (let i = Math.max(0, token.length - KEY_TAIL); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash & 0x7fffffff;
}

/** How full the verified-token cache is. */
export interface VerifiedTokenCacheState {
  /** Tokens remembered. */
  readonly entries: number;
  /** Bytes charged for them (see `verifiedTokenCacheMaxBytes`). */
  readonly bytes: number;
  /** The bound on {@link bytes}; 0 when the cache is off. */
  readonly maxBytes: number;
  /** Entries dropped to make room since the verifier was created (for metrics). */
  readonly evictions: number;
}

class Node {
  visited = false;
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;

  constructor(
    readonly key: number,
    readonly token: string,
    readonly entry: VerifiedTokenEntry,
    readonly bytes: number,
  ) {}
}

/**
 * A map from an exact token string to its verification result, bounded in bytes, with CLOCK (second-chance)
 * eviction: a hit only sets a flag; eviction takes the oldest entry, but one hit since it was last considered goes
 * back to the newest end with its flag cleared. Tokens that clients keep presenting stay, tokens seen once leave
 * first, and a hit costs no list update (LRU would move the entry on every hit). Entries are never trusted on their
 * own: the verifier re-checks time-based claims and key presence on every hit.
 */
export class VerifiedTokenCache {
  private readonly nodes = new Map<number, Node>();
  // Newest at the head, oldest at the tail.
  private head: Node | undefined;
  private tail: Node | undefined;
  private usedBytes = 0;
  private evicted = 0;

  /**
   * @param maxBytes bound on the bytes charged for all entries (see {@link VerifiedTokenCache.entryBytes}); 0 disables.
   * @param maxEntries bound on the number of entries.
   */
  constructor(
    readonly maxBytes: number,
    readonly maxEntries = Number.MAX_SAFE_INTEGER,
  ) {}

  /** Bytes charged for a token's entry: an upper estimate of the heap it keeps alive. */
  static entryBytes(token: string): number {
    return VERIFIED_TOKEN_ENTRY_OVERHEAD + VERIFIED_TOKEN_BYTES_PER_CHAR * token.length;
  }

  get(token: string): VerifiedTokenEntry | undefined {
    if (this.maxBytes === 0 || this.maxEntries === 0) return undefined;
    const node = this.nodes.get(cacheKey(token));
    if (node === undefined || node.token !== token) return undefined;
    node.visited = true;
    return node.entry;
  }

  set(token: string, entry: VerifiedTokenEntry): void {
    const bytes = VerifiedTokenCache.entryBytes(token);
    if (bytes > this.maxBytes || this.maxEntries === 0) return;
    const key = cacheKey(token);
    const existing = this.nodes.get(key);
    if (existing !== undefined) this.remove(existing);
    while (this.usedBytes + bytes > this.maxBytes || this.nodes.size >= this.maxEntries) this.evict();
    // A flat copy: the request's string may be a slice of a longer header value that would stay alive uncounted.
    const node = new Node(key, Buffer.from(token, 'latin1').toString('latin1'), entry, bytes);
    this.pushHead(node);
    this.nodes.set(key, node);
    this.usedBytes += bytes;
  }

  delete(token: string): void {
    const node = this.nodes.get(cacheKey(token));
    if (node !== undefined && node.token === token) this.remove(node);
  }

  /** Number of entries. */
  get size(): number {
    return this.nodes.size;
  }

  /** Bytes charged for the entries held now (at most `maxBytes`). */
  get bytes(): number {
    return this.usedBytes;
  }

  /** Entries, bytes charged and the bound. */
  getState(): VerifiedTokenCacheState {
    return {
      entries: this.nodes.size,
      bytes: this.usedBytes,
      maxBytes: this.maxEntries === 0 ? 0 : this.maxBytes,
      evictions: this.evicted,
    };
  }

  private evict(): void {
    let node = this.tail;
    while (node !== undefined && node.visited) {
      // Second chance: back to the newest end, flag cleared (a full sweep clears every flag, so this ends).
      node.visited = false;
      this.unlink(node);
      this.pushHead(node);
      node = this.tail;
    }
    if (node !== undefined) {
      this.remove(node);
      this.evicted += 1;
    }
  }

  private pushHead(node: Node): void {
    node.next = this.head;
    if (this.head !== undefined) this.head.prev = node;
    this.head = node;
    if (this.tail === undefined) this.tail = node;
  }

  private unlink(node: Node): void {
    if (node.prev !== undefined) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== undefined) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
  }

  private remove(node: Node): void {
    this.unlink(node);
    this.nodes.delete(node.key);
    this.usedBytes -= node.bytes;
  }
}
