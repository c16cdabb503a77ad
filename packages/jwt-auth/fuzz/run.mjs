// `npm run fuzz -- [--seconds 600] [--seed N] [--target NAME] [--path P]`: compile the fuzz targets with tsc, then run them.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
execFileSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')],
  { stdio: 'inherit' },
);
try {
  execFileSync(
    process.execPath,
    [join(root, 'tmp', 'fuzz-build', 'packages', 'jwt-auth', 'fuzz', 'main.js'), ...process.argv.slice(2)],
    { stdio: 'inherit', cwd: root },
  );
} catch (error) {
  process.exit(typeof error.status === 'number' ? error.status : 1);
}
