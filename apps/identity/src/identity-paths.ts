import { join } from 'node:path';

// This module sits beside `assets/` both in the source tree and in the webpack bundle
// (dist/apps/identity/main.js + dist/apps/identity/assets/), so one relative path serves both.
/** Absolute path of the seed shipped with the service (users and clients for the demo). */
export const DEFAULT_SEED_FILE = join(__dirname, 'assets', 'seed.json');
