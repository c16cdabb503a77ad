import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChildService } from './child-service';
import { reserveLoopbackPort, WEB_APP_READY, webAppEnv } from './web-apps';
import { BILLING_WORKER } from './oauth-client';

/** Options of {@link startSystem}. */
export interface SsoSystemOptions {
  /** The repository root (where `dist/apps/*` are built). */
  readonly rootDir: string;
  /** Parent of the identity data directory. @default `<rootDir>/tmp/demo` */
  readonly workDir?: string;
  /** Access-token lifetime of the identity service, in seconds. @default 600 */
  readonly accessTokenTtlSeconds?: number;
  /** Receives every output line of every service. */
  readonly onLine?: (name: string, line: string) => void;
  /** Extra environment of web-portal and admin-console (e.g. `REFRESH_MARGIN_SECONDS`). */
  readonly webAppEnv?: Readonly<Record<string, string>>;
  /** Fixed ports on 127.0.0.1; any left out (or 0) is picked by the OS. */
  readonly ports?: Partial<SsoSystemPorts>;
}

/** The ports the system listens on. */
export interface SsoSystemPorts {
  /** identity (the login page and the OAuth endpoints). */
  readonly identity: number;
  /** orders-api HTTP. */
  readonly orders: number;
  /** inventory-service HTTP (health, metrics). */
  readonly inventory: number;
  /** inventory-service TCP microservice. */
  readonly inventoryTcp: number;
  /** web-portal (an OpenID Connect client of identity). */
  readonly webPortal: number;
  /** admin-console (an OpenID Connect client of identity). */
  readonly adminConsole: number;
}

/** The default first port of `npm start -- --serve`. */
export const DEMO_BASE_PORT = 4000;

/**
 * Fixed ports from a base: identity `base`, orders-api `base + 1`, inventory-service HTTP `base + 2` and TCP
 * `base + 3`, web-portal `base + 4`, admin-console `base + 5`.
 * @throws RangeError when the six ports do not fit in 1-65535
 */
export function demoPorts(base: number = DEMO_BASE_PORT): SsoSystemPorts {
  if (!Number.isInteger(base) || base < 1 || base > 65530)
    throw new RangeError(`the base port must be an integer from 1 to 65530 (got ${base})`);
  return {
    identity: base,
    orders: base + 1,
    inventory: base + 2,
    inventoryTcp: base + 3,
    webPortal: base + 4,
    adminConsole: base + 5,
  };
}

/** What one `billing-worker --once --json` run printed. */
export interface BillingWorkerRun {
  /** Exit code. */
  readonly code: number | null;
  /** The JSON result line, parsed. */
  readonly result:
    | {
        ok: boolean;
        reservation?: {
          reservedBy: string;
          sku: string;
          quantity: number;
          remaining: number;
        };
        error?: unknown;
      }
    | undefined;
}

/** The parts of a running system a scenario talks to. */
export interface ScenarioTarget {
  /** Identity base URL. */
  readonly identityUrl: string;
  /** The `iss` of its tokens. */
  readonly issuer: string;
  /** orders-api base URL. */
  readonly ordersUrl: string;
  /** inventory-service HTTP base URL. */
  readonly inventoryUrl: string;
  /** web-portal base URL (an OpenID Connect client of identity). */
  readonly webPortalUrl: string;
  /** admin-console base URL (an OpenID Connect client of identity). */
  readonly adminConsoleUrl: string;
  /** Rotate every signing key through `POST /admin/rotate`. */
  rotateKeys(): Promise<void>;
  /** Run `billing-worker --once --json`. */
  runBillingWorker(): Promise<BillingWorkerRun>;
  /** Stop the identity service (the resource services keep running). */
  stopIdentity(): Promise<void>;
  /** The second orders-api, trusting only the identity's root CA certificate (AUTH_TRUST_ANCHORS, no JWKS). */
  readonly ordersX509Url: string;
  /** Revoke the identity's token-signing certificate through `POST /admin/revoke-signing-cert`. */
  revokeSigningCertificate(): Promise<{ revoked: string; current: string }>;
}

const READY = {
  identity: /identity listening on (http:\/\/127\.0\.0\.1:\d+)/,
  inventory: /inventory-service listening on (http:\/\/127\.0\.0\.1:\d+) \(tcp:\/\/127\.0\.0\.1:(\d+)\)/,
  orders: /orders-api listening on (http:\/\/127\.0\.0\.1:\d+)/,
};

/** The client whose tokens the identity signs with its private CA in this system (identity's `X509_CLIENTS`). */
const X509_CLIENTS = 'partner-gateway';

/** The built entry points, relative to the repository root. */
export const SYSTEM_SCRIPTS = {
  identity: 'dist/apps/identity/main.js',
  inventory: 'dist/apps/inventory-service/main.js',
  orders: 'dist/apps/orders-api/main.js',
  billing: 'dist/apps/billing-worker/main.js',
  webPortal: 'dist/apps/web-portal/main.js',
  adminConsole: 'dist/apps/admin-console/main.js',
} as const;

/**
 * The sample SSO system as child processes of this one, from the built apps: identity, then inventory-service and
 * orders-api configured with the identity's issuer, every port picked by the OS on 127.0.0.1.
 */
export class SsoSystem implements ScenarioTarget {
  private constructor(
    private readonly rootDir: string,
    private readonly services: {
      identity: ChildService;
      inventory: ChildService;
      orders: ChildService;
      webPortal: ChildService;
      adminConsole: ChildService;
      ordersX509: ChildService;
    },
    readonly identityUrl: string,
    readonly ordersUrl: string,
    readonly inventoryUrl: string,
    readonly webPortalUrl: string,
    readonly adminConsoleUrl: string,
    readonly ordersX509Url: string,
    /** TCP port of inventory-service. */
    readonly inventoryTcpPort: number,
    /** The identity's key directory (under `tmp/`), removed by {@link SsoSystem.stop}. */
    readonly identityDataDir: string,
    /** Secret of `POST /admin/rotate` for this run. */
    readonly adminToken: string,
    private readonly onLine: ((name: string, line: string) => void) | undefined,
  ) {}

  /** Start the system; on any failure the services already started are stopped again. */
  static async start(options: SsoSystemOptions): Promise<SsoSystem> {
    const missing = Object.values(SYSTEM_SCRIPTS).filter((script) => !existsSync(join(options.rootDir, script)));
    if (missing.length > 0)
      throw new Error(
        `not built: ${missing.join(', ')} (run: npx nx run-many -t build -p identity,orders-api,inventory-service,billing-worker,web-portal,admin-console)`,
      );
    const workDir = options.workDir ?? join(options.rootDir, 'tmp', 'demo');
    mkdirSync(workDir, { recursive: true });
    const runDir = mkdtempSync(join(workDir, 'run-'));
    const dataDir = join(runDir, 'identity-data');
    const adminToken = randomBytes(24).toString('base64url');
    const started: ChildService[] = [];
    const script = (name: keyof typeof SYSTEM_SCRIPTS) => join(options.rootDir, SYSTEM_SCRIPTS[name]);
    const port = (name: keyof SsoSystemPorts) => String(options.ports?.[name] ?? 0);
    try {
      // identity registers the web apps' redirect and back-channel URIs at boot, so their ports are chosen first.
      const webPortalUrl = `http://127.0.0.1:${options.ports?.webPortal || (await reserveLoopbackPort())}`;
      const adminConsoleUrl = `http://127.0.0.1:${options.ports?.adminConsole || (await reserveLoopbackPort())}`;
      const identity = await ChildService.start({
        name: 'identity',
        script: script('identity'),
        ready: READY.identity,
        onLine: options.onLine,
        env: {
          PORT: port('identity'),
          DATA_DIR: dataDir,
          ADMIN_TOKEN: adminToken,
          WEB_PORTAL_URL: webPortalUrl,
          ADMIN_CONSOLE_URL: adminConsoleUrl,
          X509_CLIENTS,
          ...(options.accessTokenTtlSeconds
            ? {
                ACCESS_TOKEN_TTL_SECONDS: String(options.accessTokenTtlSeconds),
              }
            : {}),
        },
      });
      started.push(identity.service);
      const identityUrl = identity.match[1];
      const auth = {
        AUTH_ISSUER: identityUrl,
        AUTH_ALLOW_INSECURE_HTTP: 'true',
      };
      const inventory = await ChildService.start({
        name: 'inventory-service',
        script: script('inventory'),
        ready: READY.inventory,
        onLine: options.onLine,
        env: {
          ...auth,
          AUTH_AUDIENCE: 'inventory-service',
          PORT: port('inventory'),
          INVENTORY_PORT: port('inventoryTcp'),
        },
      });
      started.push(inventory.service);
      const orders = await ChildService.start({
        name: 'orders-api',
        script: script('orders'),
        ready: READY.orders,
        onLine: options.onLine,
        env: {
          ...auth,
          AUTH_AUDIENCE: 'orders-api',
          PORT: port('orders'),
          INVENTORY_HOST: '127.0.0.1',
          INVENTORY_PORT: inventory.match[2],
        },
      });
      started.push(orders.service);
      const webPortal = await ChildService.start({
        name: 'web-portal',
        script: script('webPortal'),
        ready: WEB_APP_READY.webPortal,
        onLine: options.onLine,
        env: { ...webAppEnv('web-portal', webPortalUrl, identityUrl, orders.match[1]), ...options.webAppEnv },
      });
      started.push(webPortal.service);
      const adminConsole = await ChildService.start({
        name: 'admin-console',
        script: script('adminConsole'),
        ready: WEB_APP_READY.adminConsole,
        onLine: options.onLine,
        env: { ...webAppEnv('admin-console', adminConsoleUrl, identityUrl, orders.match[1]), ...options.webAppEnv },
      });
      started.push(adminConsole.service);
      // The same orders-api build, trusting nothing but the private CA's root certificate: no JWKS, no discovery.
      const pki = join(dataDir, 'pki');
      const ordersX509 = await ChildService.start({
        name: 'orders-api-x509',
        script: script('orders'),
        ready: READY.orders,
        onLine: options.onLine,
        env: {
          AUTH_ISSUER: identityUrl,
          AUTH_ALLOW_INSECURE_HTTP: 'true',
          AUTH_AUDIENCE: 'orders-api',
          AUTH_TRUST_ANCHORS: join(pki, 'root-ca.pem'),
          AUTH_CRLS: `${join(pki, 'root-ca.crl.pem')},${join(pki, 'intermediate-ca.crl.pem')}`,
          AUTH_REVOCATION: 'require',
          AUTH_X509_LEAF_NAME: 'tokens.identity.nest-sso.test',
          PORT: '0',
          INVENTORY_HOST: '127.0.0.1',
          INVENTORY_PORT: inventory.match[2],
        },
      });
      started.push(ordersX509.service);
      const services = {
        identity: identity.service,
        inventory: inventory.service,
        orders: orders.service,
        webPortal: webPortal.service,
        adminConsole: adminConsole.service,
        ordersX509: ordersX509.service,
      };
      return new SsoSystem(
        options.rootDir,
        services,
        identityUrl,
        orders.match[1],
        inventory.match[1],
        webPortalUrl,
        adminConsoleUrl,
        ordersX509.match[1],
        Number(inventory.match[2]),
        dataDir,
        adminToken,
        options.onLine,
      );
    } catch (error) {
      await Promise.all(started.map((service) => service.stop()));
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The identity's issuer: it runs without ISSUER, so the issuer is its URL. */
  get issuer(): string {
    return this.identityUrl;
  }

  /** True while the identity service runs. */
  get isIdentityRunning(): boolean {
    return this.services.identity.isRunning;
  }

  async rotateKeys(): Promise<void> {
    const response = await fetch(`${this.identityUrl}/admin/rotate`, {
      method: 'POST',
      headers: { 'x-admin-token': this.adminToken },
    });
    if (response.status !== 200) throw new Error(`POST /admin/rotate answered HTTP ${response.status}`);
  }

  async runBillingWorker(): Promise<BillingWorkerRun> {
    const { code, lines } = await ChildService.run({
      name: 'billing-worker',
      script: join(this.rootDir, SYSTEM_SCRIPTS.billing),
      args: ['--once', '--json'],
      onLine: this.onLine,
      env: {
        AUTH_ISSUER: this.issuer,
        AUTH_ALLOW_INSECURE_HTTP: 'true',
        AUTH_CLIENT_ID: BILLING_WORKER.clientId,
        AUTH_CLIENT_SECRET: BILLING_WORKER.clientSecret,
        INVENTORY_HOST: '127.0.0.1',
        INVENTORY_PORT: String(this.inventoryTcpPort),
      },
    });
    const json = [...lines].reverse().find((line) => line.startsWith('{'));
    let result: BillingWorkerRun['result'];
    try {
      result = json === undefined ? undefined : (JSON.parse(json) as BillingWorkerRun['result']);
    } catch {
      result = undefined;
    }
    return { code, result };
  }

  async revokeSigningCertificate(): Promise<{ revoked: string; current: string }> {
    const response = await fetch(`${this.identityUrl}/admin/revoke-signing-cert`, {
      method: 'POST',
      headers: { 'x-admin-token': this.adminToken },
    });
    if (response.status !== 200) throw new Error(`POST /admin/revoke-signing-cert answered HTTP ${response.status}`);
    return (await response.json()) as { revoked: string; current: string };
  }

  async stopIdentity(): Promise<void> {
    await this.services.identity.stop();
  }

  /** The last output lines of every service, for a failure report. */
  output(): Record<string, string[]> {
    return Object.fromEntries(Object.values(this.services).map((service) => [service.name, service.output()]));
  }

  /** Stop every service and remove the identity's data directory. */
  async stop(): Promise<void> {
    await Promise.all(Object.values(this.services).map((service) => service.stop()));
    rmSync(join(this.identityDataDir, '..'), { recursive: true, force: true });
  }
}
