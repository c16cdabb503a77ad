/**
 * Prints the scrypt hash of a password or client secret, in the form the seed file expects.
 * Usage: printf '%s' 'the-secret' | npx tsx apps/identity/scripts/hash-secret.ts
 * (reading stdin keeps the secret out of shell history and process listings).
 */
import { hashSecret } from '../src/app/crypto/secret-hash';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  if (process.stdin.isTTY) {
    console.error("usage: printf '%s' 'the-secret' | npx tsx apps/identity/scripts/hash-secret.ts");
    process.exit(2);
  }
  const secret = await readStdin();
  if (secret.length === 0) {
    console.error('refusing to hash an empty secret');
    process.exit(2);
  }
  console.log(await hashSecret(secret));
}

void main();
