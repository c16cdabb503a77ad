import { TestIssuer } from '@nest-sso/jwt-auth/testing';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import {
  DIST,
  WORKSPACE,
  builtManifest,
  npmInstall,
  runOk,
  startServer,
  tsc,
  type RunningServer,
} from './support/consumer-project';

// The published package as a user gets it: `npm pack` of the build, installed from the tarball into fresh projects
// outside the workspace (no path mapping, no hoisted workspace node_modules), with its peers at the versions its
// package.json allows. Catches a broken `exports` map, files missing from the tarball, types that do not resolve and
// peer mistakes, which workspace tests cannot see.

const FIXTURES = resolve(__dirname, '../fixtures');
const manifest = builtManifest();

const compilerOptions = {
  strict: true,
  target: 'es2022',
  module: 'node16',
  moduleResolution: 'node16',
  outDir: 'out',
  rootDir: '.',
  types: ['node'],
  // Our .d.ts files are checked too, not only the consumer's code.
  skipLibCheck: false,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
};
// Older Nest projects: no `exports` support, so the subpaths must resolve through `typesVersions` (an import that
// does not resolve is an error even with skipLibCheck; the .d.ts contents were checked by the node16 run).
const node10Options = {
  ...compilerOptions,
  module: 'commonjs',
  moduleResolution: 'node10',
  ignoreDeprecations: '6.0',
  noEmit: true,
  skipLibCheck: true,
};

function writeProject(dir: string, name: string, files: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }, null, 2));
  for (const file of files) copyFileSync(join(FIXTURES, file), join(dir, file));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: files.slice(0, 1) }, null, 2));
  writeFileSync(join(dir, 'tsconfig.node10.json'), JSON.stringify({ compilerOptions: node10Options, files }, null, 2));
}

/** The installed version of a workspace dev tool (type packages), so the consumer gets what the npm cache holds. */
const workspaceVersion = (name: string): string =>
  JSON.parse(readFileSync(resolve(WORKSPACE, 'node_modules', name, 'package.json'), 'utf8')).version;

const peer = (name: string): string => `${name}@${manifest.peerDependencies[name]}`;

async function get(
  url: string,
  token?: string | string[],
): Promise<{ status: number; body: string; challenge: string }> {
  const headers = new Headers();
  for (const value of token === undefined ? [] : [token].flat()) headers.append('authorization', `Bearer ${value}`);
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    body: await response.text(),
    challenge: response.headers.get('www-authenticate') ?? '',
  };
}

describe('the packed package, installed into fresh projects', () => {
  let root: string;
  let tarball: string;
  let packedFiles: string[];
  let issuer: TestIssuer;
  const servers: RunningServer[] = [];
  const coreDir = () => join(root, 'core-only');
  const nestDir = () => join(root, 'nest-app');

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'jwt-auth-consumer-'));
    const packed = JSON.parse(await runOk('npm', ['pack', '--json', '--pack-destination', root], DIST)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(root, packed[0].filename);
    packedFiles = packed[0].files.map((file) => file.path);
    writeProject(coreDir(), 'core-consumer', ['core-server.ts']);
    writeProject(nestDir(), 'nest-consumer', ['nest-app.ts', 'node10-imports.ts']);
    const nestVersion = manifest.peerDependencies['@nestjs/core'];
    await Promise.all([
      // No peers: the core entry must load with the package's own dependencies alone.
      npmInstall(coreDir(), [tarball, `@types/node@${workspaceVersion('@types/node')}`], ['--legacy-peer-deps']),
      npmInstall(nestDir(), [
        tarball,
        ...['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'].map(peer),
        // Optional peers that `/passport` needs, and the HTTP platform the app runs on.
        ...['@nestjs/passport', 'passport', 'passport-jwt'].map(peer),
        `@nestjs/platform-express@${nestVersion}`,
        // Optional peers of /health, /otel and /swagger, at the workspace's versions.
        ...['@nestjs/terminus', '@opentelemetry/api', '@nestjs/swagger'].map(
          (name) => `${name}@${workspaceVersion(name)}`,
        ),
        `@types/node@${workspaceVersion('@types/node')}`,
        `@types/passport@${workspaceVersion('@types/passport')}`,
      ]),
    ]);
    issuer = await TestIssuer.create({ algorithms: ['ES256'], audience: 'orders-api' });
    await issuer.start();
    // npm install from the cache takes seconds; a loaded CI machine or a registry round trip may take longer.
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await issuer?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const env = () => ({
    PORT: '0',
    AUTH_ISSUER: issuer.issuerUrl,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_ALLOW_INSECURE_HTTP: 'true',
  });

  it('ships every entry with its types, the LICENSE of package.json, the README and the CHANGELOG, and no tests', () => {
    for (const entry of [
      'src/index',
      'src/core/index',
      'src/testing/index',
      'src/passport/index',
      'src/health/index',
      'src/otel/index',
      'src/swagger/index',
    ]) {
      expect(packedFiles).toEqual(expect.arrayContaining([`${entry}.js`, `${entry}.d.ts`]));
    }
    expect(packedFiles).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']));
    expect(packedFiles.filter((file) => /\.spec\.|__fixtures__|\/test\//.test(file))).toEqual([]);
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(DIST, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('has README and CHANGELOG links that resolve inside the tarball', () => {
    for (const doc of ['README.md', 'CHANGELOG.md']) {
      const text = readFileSync(join(DIST, doc), 'utf8');
      const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]);
      expect(targets.length).toBeGreaterThan(doc === 'README.md' ? 5 : 0);
      const anchors = new Set(
        [...text.matchAll(/^#+ (.+)$/gm)].map((match) =>
          match[1]
            .toLowerCase()
            .replace(/[^\w\- ]/g, '')
            .replace(/ /g, '-'),
        ),
      );
      for (const target of targets) {
        if (/^https:\/\//.test(target)) continue;
        if (target.startsWith('#')) {
          expect(`${doc}${target}: ${anchors.has(target.slice(1))}`).toBe(`${doc}${target}: true`);
          continue;
        }
        const path = posix.normalize(target.split('#')[0]);
        expect(`${doc} -> ${path}: ${packedFiles.includes(path)}`).toBe(`${doc} -> ${path}: true`);
      }
    }
  });

  it('shows in the README the framework-free example this test runs', () => {
    const readme = readFileSync(join(DIST, 'README.md'), 'utf8');
    // The fixture without its two header comment lines.
    const example = readFileSync(join(FIXTURES, 'core-server.ts'), 'utf8').split('\n').slice(2).join('\n').trim();
    expect(readme).toContain(`\`\`\`ts\n${example}\n\`\`\``);
  });

  it('(a) verifies tokens with /core alone, with no @nestjs/* installed, over plain node:http', async () => {
    expect(existsSync(join(coreDir(), 'node_modules/@nest-sso/jwt-auth/package.json'))).toBe(true);
    expect(existsSync(join(coreDir(), 'node_modules/@nestjs'))).toBe(false);
    const compiled = await tsc(coreDir(), 'tsconfig.json');
    expect(compiled.output).toBe('');
    expect(compiled.code).toBe(0);
    const server = await startServer('out/core-server.js', coreDir(), env());
    servers.push(server);
    const orders = `${server.url}/orders`;

    const ok = await get(orders, issuer.sign({ sub: 'alice', scope: 'orders:read' }));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ subject: 'alice', scopes: ['orders:read'] });
    expect(await get(orders)).toMatchObject({ status: 401, challenge: 'Bearer realm="orders-api"' });
    const forged = await get(orders, issuer.sign({ scope: 'orders:read' }, { key: issuer.secret, alg: 'HS256' }));
    expect(forged).toMatchObject({ status: 401, body: '{"error":"algorithm_not_allowed"}' });
    expect(forged.challenge).toMatch(/^Bearer realm="orders-api", error="invalid_token"/);
    const expired = await get(orders, issuer.sign({ scope: 'orders:read' }, { expiresIn: -120 }));
    expect(expired).toMatchObject({ status: 401, body: '{"error":"token_expired"}' });
    const scoped = await get(orders, issuer.sign({ scope: 'orders:write' }));
    expect(scoped).toMatchObject({ status: 403, body: '{"error":"insufficient_scope"}' });
    expect(scoped.challenge).toMatch(/error="insufficient_scope".*scope="orders:read"/);
    const two = await get(orders, [issuer.sign({ scope: 'orders:read' }), issuer.sign({ scope: 'orders:read' })]);
    expect(two).toMatchObject({ status: 400, body: '{"error":"multiple_tokens"}' });
  });

  it('(b) boots a Nest app with JwtAuthModule.forRoot() and answers 200, 401 and 403 over HTTP', async () => {
    const compiled = await tsc(nestDir(), 'tsconfig.json');
    expect(compiled.output).toBe('');
    expect(compiled.code).toBe(0);
    const server = await startServer('out/nest-app.js', nestDir(), env());
    servers.push(server);

    expect((await get(`${server.url}/health`)).status).toBe(200);
    const ok = await get(`${server.url}/orders`, issuer.sign({ sub: 'bob', scope: 'orders:read' }));
    expect(ok).toMatchObject({ status: 200, body: '{"subject":"bob"}' });
    const missing = await get(`${server.url}/orders`);
    expect(missing).toMatchObject({ status: 401, challenge: 'Bearer' });
    const wrongAudience = await get(`${server.url}/orders`, issuer.sign({ aud: 'billing', scope: 'orders:read' }));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.challenge).toMatch(/error="invalid_token"/);
    const scoped = await get(`${server.url}/orders`, issuer.sign({ scope: 'orders:write' }));
    expect(scoped.status).toBe(403);
    expect(scoped.challenge).toMatch(/error="insufficient_scope"/);
  });

  it('(c) type-checks against the published .d.ts under moduleResolution node10 too (typesVersions)', async () => {
    const [core, nest] = await Promise.all([
      tsc(coreDir(), 'tsconfig.node10.json'),
      tsc(nestDir(), 'tsconfig.node10.json'),
    ]);
    expect(core.output).toBe('');
    expect(nest.output).toBe('');
    expect([core.code, nest.code]).toEqual([0, 0]);
  });
});
