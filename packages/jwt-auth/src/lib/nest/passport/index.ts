export {
  BearerTokenStrategy,
  type BearerTokenStrategyOptions,
  type BearerTokenVerifyCallback,
} from './bearer-token.strategy';
export { JwtPassportStrategy } from './jwt-passport.strategy';
