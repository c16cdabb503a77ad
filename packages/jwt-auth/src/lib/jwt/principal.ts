import { createNullProtoObject, type JsonObject, type JsonValue } from '../jws/strict-json';

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

/** Deep-freeze a parsed JSON value in place (objects from the strict parser are already null-prototype). */
export function deepFreeze<T extends JsonValue>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) {
      for (const member of value) if (typeof member === 'object' && member !== null) deepFreeze(member);
    } else {
      const record = value as JsonObject;
      for (const key in record) {
        const member = record[key];
        if (typeof member === 'object' && member !== null) deepFreeze(member);
      }
    }
  }
  return value;
}

/**
 * Build the frozen principal. `claims` must come from the strict parser (null-prototype objects); `audience` and
 * `scopes` are frozen in place (callers hand over fresh arrays or arrays from `claims`), `header` is used as given
 * when already frozen (the verifier shares one per header segment).
 */
export function createPrincipal(fields: Omit<AuthPrincipal, 'claims'> & { claims: JsonObject }): AuthPrincipal {
  const principal = createNullProtoObject<{ -readonly [K in keyof AuthPrincipal]: AuthPrincipal[K] }>();
  // Always the same members in the same order, so every principal shares one hidden class (decision 009).
  principal.issuer = fields.issuer;
  principal.subject = fields.subject;
  principal.audience = Object.freeze(fields.audience);
  principal.scopes = Object.freeze(fields.scopes);
  principal.clientId = fields.clientId;
  principal.expiresAt = fields.expiresAt;
  principal.claims = deepFreeze(fields.claims);
  principal.header = Object.isFrozen(fields.header) ? fields.header : freezeHeader(fields.header);
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
