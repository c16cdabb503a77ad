// `npm run bench [-- --json] [-- --only=core|reference|http|profile|instructions|service|cache|rpc|metrics|x509] [-- --rounds=N --seconds=S] [-- --load=wrk|autocannon]`: compile the benchmark with tsc, then run it.
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
execFileSync(
  process.execPath,
  [
    '--expose-gc',
    join(root, 'tmp', 'bench-build', 'packages', 'jwt-auth', 'bench', 'main.js'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', cwd: root },
);
