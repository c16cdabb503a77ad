#!/usr/bin/env node
// `npm start`: build the sample SSO system, start it on 127.0.0.1 and run the SSO scenario.
//   npm start                 run the scenario, stop everything, exit 0 only if every step succeeded
//   npm start -- --serve      run the scenario (identity stays up), then keep the system running until Ctrl-C, on
//                             fixed ports: identity 4000, orders-api 4001, inventory-service 4002 (TCP 4003),
//                             web-portal 4004, admin-console 4005
//   npm start -- --serve --base-port=5000   (or DEMO_BASE_PORT=5000) moves the six fixed ports
//   npm start -- --verbose    also print every service's log lines
//   npm start -- --no-build   use what is already in dist/
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const basePortArg = argv.find((arg) => arg.startsWith('--base-port='));
const args = new Set(argv.filter((arg) => arg !== basePortArg));
const unknown = [...args].filter((arg) => !['--serve', '--verbose', '--no-build'].includes(arg));
if (unknown.length > 0) {
  console.error(`unknown option(s): ${unknown.join(' ')} (use --serve, --verbose, --no-build, --base-port=N)`);
  process.exit(2);
}
const basePortText = basePortArg?.slice('--base-port='.length) ?? process.env.DEMO_BASE_PORT;
const basePort = basePortText === undefined || basePortText === '' ? undefined : Number(basePortText);
if (basePort !== undefined && !(/^\d{1,5}$/.test(basePortText) && basePort >= 1 && basePort <= 65530)) {
  console.error(
    `${basePortArg ? '--base-port' : 'DEMO_BASE_PORT'}: must be a port from 1 to 65530 (got "${basePortText}")`,
  );
  process.exit(2);
}

const PROJECTS = 'identity,orders-api,inventory-service,billing-worker,web-portal,admin-console,sso-demo';

if (!args.has('--no-build')) {
  console.log(`… building ${PROJECTS}`);
  const started = Date.now();
  const build = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', PROJECTS, '--skip-nx-cache', '--output-style=static'],
    {
      cwd: rootDir,
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (build.status !== 0) {
    process.stdout.write(build.stdout ?? '');
    process.stderr.write(build.stderr ?? '');
    console.error(`✗ build failed (exit ${build.status ?? build.signal})`);
    process.exit(1);
  }
  console.log(`✓ built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

// The scenario is a TypeScript library shared with the e2e tests; its CommonJS build is loaded here.
const require = createRequire(import.meta.url);
const { runDemo } = require(join(rootDir, 'dist', 'libs', 'sso-demo', 'src', 'index.js'));
process.exitCode = await runDemo({
  rootDir,
  serve: args.has('--serve'),
  verbose: args.has('--verbose'),
  basePort,
});
