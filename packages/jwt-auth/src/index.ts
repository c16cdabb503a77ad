export * from './lib/jwt-auth.module';
