import { IdentityConfigError, identityConfigFromEnv } from './app/config/identity.config';
import { SeedError } from './app/directory/seed';
import { createIdentityApp } from './app/identity-app';
import { SigningKeyStoreError } from './app/keys/signing-key.store';

async function main(): Promise<void> {
  const identity = await createIdentityApp(identityConfigFromEnv(process.env));
  // A plain stdout line that scripts (the demo runner) wait for and parse.
  console.log(`identity listening on ${identity.url}`);
  if (identity.issuer !== identity.url) console.log(`identity issuer ${identity.issuer}`);
  const stop = (signal: NodeJS.Signals) => {
    console.log(`identity received ${signal}, shutting down`);
    identity.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const isExpected =
    error instanceof IdentityConfigError || error instanceof SeedError || error instanceof SigningKeyStoreError;
  console.error(isExpected ? (error as Error).message : `identity failed to start: ${(error as Error)?.message}`);
  process.exit(1);
});
