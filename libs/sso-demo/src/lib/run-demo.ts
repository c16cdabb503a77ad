import { randomBytes } from 'node:crypto';
import { authorizationUrl, pkcePair, WEB_APP } from './oauth-client';
import { runScenario, type StepResult } from './scenario';
import { demoPorts, SsoSystem } from './sso-system';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The repository root, with the apps built into `dist/`. */
  readonly rootDir: string;
  /** Keep the system running after the scenario (without stopping identity) until SIGINT / SIGTERM. */
  readonly serve?: boolean;
  /** Print every service's output lines. */
  readonly verbose?: boolean;
  /**
   * With `serve`: the first of six fixed ports (identity, orders-api, inventory-service HTTP and TCP, web-portal,
   * admin-console).
   * @default 4000 (without `serve` the OS picks free ports)
   */
  readonly basePort?: number;
  /** Where to print. @default console.log */
  readonly write?: (line: string) => void;
}

function formatStep(step: StepResult): string {
  return `${step.ok ? '✓' : '✗'} ${String(step.index).padStart(2)}. ${step.title}\n       ${step.outcome}`;
}

function serveInstructions(system: SsoSystem): string[] {
  const { verifier, challenge } = pkcePair();
  const signIn = authorizationUrl(system.identityUrl, WEB_APP, challenge, randomBytes(8).toString('hex'));
  return [
    '',
    'The SSO system is running (Ctrl-C stops it):',
    `  identity            ${system.identityUrl}   (discovery: ${system.identityUrl}/.well-known/openid-configuration)`,
    `  login page          ${system.identityUrl}/login   (alice / alice-password, bob / bob-password)`,
    `  sign in to web-app  ${signIn}`,
    `                      redirects to ${WEB_APP.redirectUri}?code=...; exchange the code with:`,
    `                      curl -s ${system.identityUrl}/oauth/token -d grant_type=authorization_code -d client_id=web-app -d redirect_uri=${WEB_APP.redirectUri} -d code_verifier=${verifier} -d code=CODE`,
    `  web-portal          ${system.webPortalUrl}   (sign in as alice / alice-password: your orders; sign out ends every session)`,
    `  admin-console       ${system.adminConsoleUrl}   (alice: inventory; bob / bob-password: refused, no inventory:admin)`,
    `  orders-api          ${system.ordersUrl}   (GET /health, GET /me, GET /orders, POST /orders {"sku":"SKU-1","quantity":1})`,
    `  Swagger UI          ${system.ordersUrl}/docs   (OpenAPI document: ${system.ordersUrl}/docs/openapi.json)`,
    `  inventory-service   ${system.inventoryUrl}/health   (TCP 127.0.0.1:${system.inventoryTcpPort})`,
    `  readiness           ${system.ordersUrl}/health/ready   ${system.inventoryUrl}/health/ready`,
    `  metrics (scrape)    ${system.ordersUrl}/metrics   ${system.inventoryUrl}/metrics`,
    `  orders-api (x509)   ${system.ordersX509Url}   (trusts only ${system.identityDataDir}/pki/root-ca.pem)`,
    `  revoke signing cert curl -s -X POST -H 'x-admin-token: ${system.adminToken}' ${system.identityUrl}/admin/revoke-signing-cert`,
    `  rotate keys         curl -s -X POST -H 'x-admin-token: ${system.adminToken}' ${system.identityUrl}/admin/rotate`,
  ];
}

/**
 * Start the built system, run the SSO scenario and print each step with ✓ / ✗. Resolves to the exit code: 0 only
 * when every step succeeded (with `serve`, 0 once stopped by a signal).
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const write = options.write ?? ((line: string) => console.log(line));
  const onLine = options.verbose ? (name: string, line: string) => write(`  [${name}] ${line}`) : undefined;
  let system: SsoSystem;
  try {
    system = await SsoSystem.start({
      rootDir: options.rootDir,
      onLine,
      ...(options.serve ? { ports: demoPorts(options.basePort) } : {}),
    });
  } catch (error) {
    write(`✗ the system did not start: ${(error as Error).message}`);
    return 1;
  }
  write(
    `✓ started identity ${system.identityUrl}, inventory-service ${system.inventoryUrl} (tcp ${system.inventoryTcpPort}), orders-api ${system.ordersUrl}, orders-api (trust store only) ${system.ordersX509Url}, web-portal ${system.webPortalUrl}, admin-console ${system.adminConsoleUrl}`,
  );
  let code = 1;
  try {
    const result = await runScenario(system, {
      stopIdentity: !options.serve,
      onStep: (step) => write(formatStep(step)),
    });
    const passed = result.steps.filter((step) => step.ok).length;
    write(`${result.ok ? '✓' : '✗'} ${passed}/${result.steps.length} steps succeeded`);
    if (!result.ok) {
      for (const [name, lines] of Object.entries(system.output())) {
        write(`--- last output of ${name} ---`);
        for (const line of lines.slice(-10)) write(`  ${line}`);
      }
    }
    code = result.ok ? 0 : 1;
    if (options.serve) {
      for (const line of serveInstructions(system)) write(line);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      write('stopping...');
      code = 0;
    }
  } finally {
    await system.stop();
  }
  return code;
}
