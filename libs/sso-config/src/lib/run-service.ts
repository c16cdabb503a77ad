import { JwtAuthConfigError } from '@nest-sso/jwt-auth';
import { ServiceConfigError } from './service-config.error';

/** A started service that can be stopped. */
export interface RunningService {
  /** Stop serving and release every resource. */
  close(): Promise<void>;
}

/** What a stopped process writes and its exit code, for an error thrown while starting. */
export function describeStartupFailure(name: string, error: unknown): string {
  if (error instanceof ServiceConfigError || error instanceof JwtAuthConfigError) return `${name}: ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `${name} failed to start: ${message}`;
}

/**
 * Start a service from `main.ts`: on a startup error print one clear message (no stack trace) and exit 1; on
 * SIGINT / SIGTERM close it and exit 0.
 * @example runService('orders-api', () => startOrdersApi(ordersConfigFromEnv(process.env)));
 */
export function runService(name: string, start: () => Promise<RunningService>): void {
  start().then(
    (service) => {
      const stop = () => {
        service.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(describeStartupFailure(name, error));
      process.exit(1);
    },
  );
}
