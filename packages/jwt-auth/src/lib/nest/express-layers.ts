import type { Middleware } from './request-body-gate';

/** The parts of an Express router layer this package touches (the same across Express 4 and 5). */
export interface ExpressLayer {
  handle?: Middleware;
  /** Set on the layer of a route (what Nest registers for a controller method). */
  readonly route?: { readonly methods?: Record<string, boolean> };
  match?(path: string): boolean;
}

/** An Express app as far as its router goes. */
export interface ExpressAppLike {
  router?: { stack?: unknown[] };
  _router?: { stack?: unknown[] };
}

/**
 * The layers of an Express app's router, in order: `app.router.stack` in Express 5, `app._router.stack` in Express 4
 * (Nest reads the same list to see which body parsers are applied). Their `handle` may be replaced in place.
 */
export function expressLayers(app: ExpressAppLike): ExpressLayer[] {
  return (app.router?.stack ?? app._router?.stack ?? []) as ExpressLayer[];
}
