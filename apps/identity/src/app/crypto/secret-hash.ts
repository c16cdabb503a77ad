import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCHEME = 'scrypt';
const DEFAULT_COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const HASH_PATTERN = /^scrypt\$(\d{1,7})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function derive(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // Node refuses scrypt above maxmem (32 MiB by default); allow exactly what the parameters need.
  const maxmem = 128 * cost.N * cost.r * 2;
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, KEY_LENGTH, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function parse(encoded: string): ParsedHash | undefined {
  const match = HASH_PATTERN.exec(encoded);
  if (!match) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Bounds keep a hostile or mistyped seed from turning one login into a memory or CPU bomb.
  const isPowerOfTwo = (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N < 1024 || N > 1048576 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p, salt: Buffer.from(match[4], 'base64url'), hash: Buffer.from(match[5], 'base64url') };
}

/**
 * Hashes a password or client secret with scrypt and a random salt, as `scrypt$N$r$p$salt$hash` (base64url).
 * @example await hashSecret('alice-password') // 'scrypt$16384$8$1$...$...'
 */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(secret, salt, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return [SCHEME, N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** True when `encoded` is a well-formed hash produced by {@link hashSecret} with sane cost parameters. */
export function isSecretHash(encoded: unknown): encoded is string {
  return typeof encoded === 'string' && parse(encoded) !== undefined;
}

/** Checks `secret` against an encoded hash in constant time; false for a malformed hash. */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed) return false;
  const candidate = await derive(secret, parsed.salt, parsed);
  return timingSafeEqual(candidate, parsed.hash);
}
