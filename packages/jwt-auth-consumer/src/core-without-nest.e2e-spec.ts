import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { DIST, builtManifest } from './support/consumer-project';

// The built core entry loads and verifies with every @nestjs/* module unresolvable: if anything under
// src/core imported Nest, even indirectly, the require below would throw.

// Preloaded into the child: any require of @nestjs/* fails as if the package were not installed.
const HIDE_NEST = `
const Module = require('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^@nestjs\\//.test(request)) {
    const error = new Error("Cannot find module '" + request + "' (hidden by the test)");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};`;

const VERIFY = `
const core = require(process.env.ENTRY);
const verifier = new core.AccessTokenVerifier({ issuers: [JSON.parse(process.env.ISSUER_OPTIONS)] });
(async () => {
  const principal = await verifier.verify(process.env.TOKEN);
  const refused = await verifier.verify(process.env.TOKEN.slice(0, -4) + 'AAAA').catch((error) => error);
  const nestModules = Object.keys(require.cache).filter((file) => file.includes('/@nestjs/'));
  console.log(JSON.stringify({ subject: principal.subject, refused: refused.code, status: refused.status, nestModules }));
  verifier.close();
})().catch((error) => {
  console.error(error);
  process.exit(1);
});`;

function runHidden(
  entry: string,
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['-e', `${HIDE_NEST}\n${VERIFY}`], {
    env: { PATH: process.env['PATH'] ?? '', ENTRY: resolve(DIST, entry), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('the built core entry', () => {
  let issuer: TestIssuer;
  let env: Record<string, string>;

  beforeAll(async () => {
    builtManifest();
    issuer = await TestIssuer.create({ algorithms: ['ES256'] });
    env = {
      ISSUER_OPTIONS: JSON.stringify(issuer.issuerOptions('static')),
      TOKEN: issuer.sign({ sub: 'worker-1' }),
    };
  });

  it('loads and verifies a token with every @nestjs/* module unresolvable', () => {
    const result = runHidden('src/core/index.js', env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      subject: 'worker-1',
      refused: 'signature_invalid',
      status: 401,
      nestModules: [],
    });
  });

  it('is what makes the difference: the main entry does not load under the same hook', () => {
    const result = runHidden('src/index.js', env);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Cannot find module '@nestjs\/[a-z-]+' \(hidden by the test\)/);
  });
});
