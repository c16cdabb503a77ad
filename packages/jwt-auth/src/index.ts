// @nest-sso/jwt-auth: the Nest layer, and the framework-free core re-exported for convenience.
export * from './core';
export * from './lib/nest';
