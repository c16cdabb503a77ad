/** Thrown by key import when a key is unusable; the message says why (never key material). */
export class KeyRejectedError extends Error {
  override readonly name = 'KeyRejectedError';
}
