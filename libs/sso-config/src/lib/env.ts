import type { ProblemList } from './service-config.error';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The only address the sample services listen on. */
export const LOOPBACK_HOST = '127.0.0.1';

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for 127.0.0.1, localhost and [::1] (as `URL.hostname` spells them). */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname);
}

/** The trimmed value of `name`, `undefined` when unset or blank. */
export function readString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** A TCP port (0 picks a free one); `fallback` when unset. */
export function readPort(env: Env, name: string, problems: ProblemList, fallback?: number): number | undefined {
  const raw = readString(env, name);
  if (raw === undefined) {
    if (fallback === undefined) problems.add(`${name}: is required (a TCP port, 0-65535)`);
    return fallback;
  }
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    problems.add(`${name}: must be a TCP port from 0 to 65535 (got "${raw}")`);
    return fallback;
  }
  return port;
}

/** `true` / `false` (also 1/0, yes/no); `fallback` when unset. */
export function readBoolean(env: Env, name: string, problems: ProblemList, fallback = false): boolean {
  const raw = readString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  problems.add(`${name}: must be true or false (got "${raw}")`);
  return fallback;
}

/** A comma-separated list, trimmed, without empty members; `undefined` when unset. */
export function readList(env: Env, name: string): string[] | undefined {
  const raw = readString(env, name);
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

/**
 * An absolute https URL, or an http URL on a loopback host when `allowInsecureHttp`; records a problem naming the
 * variable and the fix otherwise (`insecureVariable` is the variable that sets `allowInsecureHttp`).
 */
export function readUrl(
  env: Env,
  name: string,
  problems: ProblemList,
  allowInsecureHttp: boolean,
  required: boolean,
  insecureVariable = 'AUTH_ALLOW_INSECURE_HTTP',
): string | undefined {
  const raw = readString(env, name);
  if (raw === undefined) {
    if (required) problems.add(`${name}: is required (an https URL, e.g. https://id.example.com)`);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.add(`${name}: must be an absolute URL such as https://id.example.com (got "${raw}")`);
    return undefined;
  }
  if (url.username || url.password) {
    problems.add(`${name}: must not contain credentials`);
    return undefined;
  }
  if (url.protocol === 'https:') return raw;
  if (url.protocol !== 'http:') {
    problems.add(`${name}: must use https (got "${url.protocol}")`);
  } else if (!allowInsecureHttp) {
    problems.add(
      `${name}: "${raw}" uses plain http; use https, or set ${insecureVariable}=true for a loopback development setup`,
    );
  } else if (!isLoopbackHostname(url.hostname)) {
    problems.add(
      `${name}: ${insecureVariable} allows http only on 127.0.0.1, localhost or [::1] (got host "${url.hostname}"); use https`,
    );
  } else {
    return raw;
  }
  return undefined;
}
