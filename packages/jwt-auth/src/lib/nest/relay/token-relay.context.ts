import { AsyncLocalStorage } from 'node:async_hooks';
import { httpAccessToken } from '../auth-context';

interface RelayStore {
  readonly token: string | undefined;
}

// An HTTP request's store reads the token when asked: the guard accepts it after the request entered the store.
class HttpRequestStore implements RelayStore {
  constructor(private readonly request: object) {}

  get token(): string | undefined {
    return httpAccessToken(this.request);
  }
}

// One storage for the whole process, so every TokenRelay instance (and plain code) sees the same current token.
const storage = new AsyncLocalStorage<RelayStore>();

/**
 * Run `fn` with `token` as the current access token: {@link currentAccessToken} and `TokenRelay` calls made inside
 * `fn`, including after any `await`, see it. Used by `TokenRelayInterceptor`; call it directly in code that holds a
 * token outside a Nest request (a worker job with a client-credentials token).
 * @example await runWithAccessToken(await tokens.getToken(), () => this.inventory.reserve(order));
 */
export function runWithAccessToken<T>(token: string, fn: () => T): T {
  if (typeof token !== 'string' || token === '')
    throw new TypeError('runWithAccessToken: token must be a non-empty string');
  return storage.run({ token }, fn);
}

/**
 * Run `fn(...args)` in the relay context of an HTTP request: {@link currentAccessToken} is then the token that
 * `JwtAuthGuard` accepted for `request` (none until it has, none on a `@Public()` route). Used by the HTTP hooks of
 * `TokenRelayModule`.
 */
export function runInHttpRequest<A extends unknown[], R>(request: object, fn: (...args: A) => R, ...args: A): R {
  return storage.run(new HttpRequestStore(request), fn, ...args);
}

/** The access token of the call this code runs in (see {@link runWithAccessToken}); `undefined` outside one. */
export function currentAccessToken(): string | undefined {
  return storage.getStore()?.token;
}
