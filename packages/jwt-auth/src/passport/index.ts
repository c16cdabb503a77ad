// Separate entry (`@nest-sso/jwt-auth/passport`): the main entry must load without the optional passport peers.
export * from '../lib/nest/passport';
