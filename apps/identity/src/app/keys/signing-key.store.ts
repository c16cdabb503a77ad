import { createPrivateKey, KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { restrictToOwner, writeFileAtomic } from '../common/atomic-file';
import { isSigningAlgorithm, keyMismatch, keyThumbprint, SigningAlgorithm } from './signing-algorithm';

/** Lifecycle state of a signing key: `next` is published but unused, `current` signs, `retired` only verifies. */
export type SigningKeyState = 'next' | 'current' | 'retired';

/** What is known about a signing key apart from its key material (persisted in the manifest). */
export interface SigningKeyRecord {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Algorithm the key signs with. */
  readonly alg: SigningAlgorithm;
  /** Lifecycle state. */
  readonly state: SigningKeyState;
  /** When the key was generated (epoch ms). */
  readonly createdAt: number;
  /** When the key became `current` (epoch ms). */
  readonly activatedAt?: number;
  /** When the key stopped signing (epoch ms). */
  readonly retiredAt?: number;
  /** When a retired key may be unpublished and deleted: every token it signed has expired by then (epoch ms). */
  readonly removeAfter?: number;
}

/** A signing key with its private half loaded. */
export interface SigningKey extends SigningKeyRecord {
  /** The private key; never serialized anywhere but its 0600 PEM file. */
  readonly privateKey: KeyObject;
}

interface Manifest {
  readonly version: 1;
  readonly keys: readonly SigningKeyRecord[];
}

const MANIFEST = 'manifest.json';
const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const STATES: readonly string[] = ['next', 'current', 'retired'];

/** Thrown when the key directory holds something this service will not use; the message says what to fix. */
export class SigningKeyStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyStoreError';
  }
}

function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseRecord(value: unknown, index: number): SigningKeyRecord {
  const where = `${MANIFEST} keys[${index}]`;
  if (typeof value !== 'object' || value === null) throw new SigningKeyStoreError(`${where}: not an object`);
  const record = value as Record<string, unknown>;
  if (typeof record.kid !== 'string' || !KID_PATTERN.test(record.kid)) {
    throw new SigningKeyStoreError(`${where}: kid must be a base64url SHA-256 thumbprint`);
  }
  if (!isSigningAlgorithm(record.alg)) throw new SigningKeyStoreError(`${where}: unsupported alg`);
  if (typeof record.state !== 'string' || !STATES.includes(record.state)) {
    throw new SigningKeyStoreError(`${where}: state must be next, current or retired`);
  }
  for (const field of ['createdAt', 'activatedAt', 'retiredAt', 'removeAfter'] as const) {
    const isRequired = field === 'createdAt';
    if ((isRequired || record[field] !== undefined) && !isTimestamp(record[field])) {
      throw new SigningKeyStoreError(`${where}: ${field} must be an epoch-milliseconds integer`);
    }
  }
  return {
    kid: record.kid,
    alg: record.alg,
    state: record.state as SigningKeyState,
    createdAt: record.createdAt as number,
    ...(record.activatedAt !== undefined && { activatedAt: record.activatedAt as number }),
    ...(record.retiredAt !== undefined && { retiredAt: record.retiredAt as number }),
    ...(record.removeAfter !== undefined && { removeAfter: record.removeAfter as number }),
  };
}

/** The persisted, key-material-free part of a signing key. */
export function toRecord(key: SigningKey): SigningKeyRecord {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    createdAt: key.createdAt,
    ...(key.activatedAt !== undefined && { activatedAt: key.activatedAt }),
    ...(key.retiredAt !== undefined && { retiredAt: key.retiredAt }),
    ...(key.removeAfter !== undefined && { removeAfter: key.removeAfter }),
  };
}

/**
 * Persists signing keys under `<dataDir>/keys/`: one PKCS#8 PEM per key (`<kid>.pem`, mode 0600)
 * and a `manifest.json` with each key's state, both replaced atomically.
 */
export class SigningKeyStore {
  /** Directory holding the key files. */
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'keys');
  }

  /** Loads every key listed in the manifest; an empty list on first start. */
  async load(): Promise<SigningKey[]> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    await restrictToOwner(this.directory, 0o700);
    let text: string;
    try {
      text = await readFile(join(this.directory, MANIFEST), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
    } catch {
      throw new SigningKeyStoreError(
        `${join(this.directory, MANIFEST)} is not valid JSON; restore it or empty the directory`,
      );
    }
    if (manifest?.version !== 1 || !Array.isArray(manifest.keys)) {
      throw new SigningKeyStoreError(`${join(this.directory, MANIFEST)}: expected {"version":1,"keys":[...]}`);
    }
    return Promise.all(manifest.keys.map((value, index) => this.loadKey(parseRecord(value, index))));
  }

  /** Persists exactly `keys`: writes missing PEM files, replaces the manifest, then deletes keys no longer listed. */
  async save(keys: readonly SigningKey[]): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const existing = new Set(await readdir(this.directory));
    for (const key of keys) {
      const file = `${key.kid}.pem`;
      if (!existing.has(file)) {
        const pem = key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
        await writeFileAtomic(join(this.directory, file), pem, 0o600);
      }
    }
    const manifest: Manifest = { version: 1, keys: keys.map(toRecord) };
    await writeFileAtomic(join(this.directory, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    // Only after the manifest stops referring to a key is its private half removed.
    const kept = new Set(keys.map((key) => `${key.kid}.pem`));
    for (const file of existing) {
      const isStaleKey = file.endsWith('.pem') && !kept.has(file);
      const isLeftoverTemporary = file.startsWith('.') && file.endsWith('.tmp');
      if (isStaleKey || isLeftoverTemporary) await rm(join(this.directory, file), { force: true });
    }
  }

  private async loadKey(record: SigningKeyRecord): Promise<SigningKey> {
    const path = join(this.directory, `${record.kid}.pem`);
    let pem: string;
    try {
      if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
        throw new SigningKeyStoreError(`${path} is accessible by group or others; run: chmod 600 ${path}`);
      }
      pem = await readFile(path, 'utf8');
    } catch (error) {
      if (error instanceof SigningKeyStoreError) throw error;
      throw new SigningKeyStoreError(
        `${path} is listed in ${MANIFEST} but cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(pem);
    } catch {
      throw new SigningKeyStoreError(`${path} is not a PEM private key`);
    }
    const mismatch = keyMismatch(record.alg, privateKey);
    if (mismatch) throw new SigningKeyStoreError(`${path} cannot sign ${record.alg}: ${mismatch}`);
    if (keyThumbprint(privateKey) !== record.kid) {
      throw new SigningKeyStoreError(`${path} does not match its kid ${record.kid} in ${MANIFEST}`);
    }
    return { ...record, privateKey };
  }
}
