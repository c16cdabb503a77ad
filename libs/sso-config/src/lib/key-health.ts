import type { AccessTokenVerifier, KeySourceStatus } from '@nest-sso/jwt-auth';

/** Per issuer, the key-source status and key count a health endpoint may show (never key material). */
export type KeyHealth = Record<string, { status: KeySourceStatus; keyCount: number }>;

/** The health view of every issuer's key source, shared by the sample services' `GET /health`. */
export function keyHealth(verifier: AccessTokenVerifier): KeyHealth {
  return Object.fromEntries(
    Object.entries(verifier.getKeySourceStates()).map(([issuer, state]) => [
      issuer,
      { status: state.status, keyCount: state.keyCount },
    ]),
  );
}
