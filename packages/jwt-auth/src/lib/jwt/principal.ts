import { createNullProtoObject, type JsonObject, type JsonValue } from '../json/strict-json';

/** The verified JWT claims set: a frozen, null-prototype copy. */
export type JwtClaims = Readonly<Record<string, JsonValue>>;

/** The protected-header values kept for the application and for logs. */
export interface PrincipalHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
}

/**
 * Who made the request, as proven by a verified access token. Frozen and null-prototype throughout, so
 * application code can neither change it nor be surprised by inherited members.
 */
export interface AuthPrincipal {
  /** The verified `iss`. */
  readonly issuer: string;
  /** The `sub` claim, when present. */
  readonly subject: string | undefined;
  /** The `aud` claim as a list. */
  readonly audience: readonly string[];
  /** Granted scopes, from `scope` or `scp` as configured for the issuer. */
  readonly scopes: readonly string[];
  /** The `client_id` claim (RFC 9068), when present. */
  readonly clientId: string | undefined;
  /** `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** Every claim of the token. */
  readonly claims: JwtClaims;
  /** `alg`, `kid` and `typ` from the protected header. */
  readonly header: PrincipalHeader;
}

/**
 * Build the frozen principal from parts that are frozen already: `claims` from the strict parser (which freezes every
 * object and array as it builds it), `audience` and `scopes` as frozen arrays, `header` from {@link freezeHeader}.
 * Freezing them here again would be a call into the engine per part and token for nothing (decision 008); the
 * verifier's tests check that every part of every principal is frozen.
 */
export function createPrincipal(fields: Omit<AuthPrincipal, 'claims'> & { claims: JsonObject }): AuthPrincipal {
  const principal = createNullProtoObject<{ -readonly [K in keyof AuthPrincipal]: AuthPrincipal[K] }>();
  // Always the same members in the same order, so every principal shares one hidden class (decision 008).
  principal.issuer = fields.issuer;
  principal.subject = fields.subject;
  principal.audience = fields.audience;
  principal.scopes = fields.scopes;
  principal.clientId = fields.clientId;
  principal.expiresAt = fields.expiresAt;
  principal.claims = fields.claims;
  principal.header = fields.header;
  return Object.freeze(principal);
}

/** A frozen, null-prototype {@link PrincipalHeader}. */
export function freezeHeader({ alg, kid, typ }: PrincipalHeader): PrincipalHeader {
  const header = createNullProtoObject<{ alg: string; kid?: string; typ?: string }>();
  header.alg = alg;
  header.kid = kid;
  header.typ = typ;
  return Object.freeze(header);
}
