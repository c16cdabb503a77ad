import { JwtAuthError } from '../errors/jwt-auth.error';

/** Thrown by key import when a key is unusable; the message says why (never key material). */
export class KeyRejectedError extends JwtAuthError {
  override readonly name = 'KeyRejectedError';
  /** Always `key_rejected`. */
  readonly code = 'key_rejected';
}
