import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ExpiringMap } from '../common/expiring-map';
import { randomToken, tokenDigest } from '../crypto/opaque-token';
import { CLOCK } from '../identity.constants';

/** What a user approved at the authorization endpoint, bound to the client, redirect URI and PKCE challenge. */
export interface AuthorizationCodeGrant {
  /** Client the code was issued to. */
  readonly clientId: string;
  /** Redirect URI the code was delivered to; the token request must repeat it exactly. */
  readonly redirectUri: string;
  /** S256 code challenge. */
  readonly codeChallenge: string;
  /** Resource owner. */
  readonly sub: string;
  /** Granted scopes. */
  readonly scopes: readonly string[];
  /** Granted audiences. */
  readonly audiences: readonly string[];
  /** OpenID Connect: the `nonce` of the authorization request, echoed in the ID token. */
  readonly nonce?: string;
  /** OpenID Connect: when the user authenticated (epoch seconds). */
  readonly authTime?: number;
  /** OpenID Connect: the SSO session id (`sid`). */
  readonly sid?: string;
}

/** Outcome of presenting a code. */
export type CodeRedemption =
  | { readonly kind: 'ok'; readonly grant: AuthorizationCodeGrant; readonly codeId: string }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'reused'; readonly refreshFamilyId: string | undefined };

interface CodeEntry {
  readonly grant: AuthorizationCodeGrant;
  readonly expiresAt: number;
  isRedeemed: boolean;
  refreshFamilyId?: string;
}

/** Lifetime of an authorization code (RFC 6749 section 4.1.2 recommends at most 10 minutes). */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;
// Redeemed codes are remembered a while longer so that a replay is recognised as one.
const TOMBSTONE_MS = 10 * 60_000;

/** Single-use, short-lived authorization codes, stored in memory by their SHA-256 digest. */
@Injectable()
export class AuthorizationCodeStore {
  private readonly codes: ExpiringMap<CodeEntry>;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {
    this.codes = new ExpiringMap(clock);
  }

  /** Issues a new code for `grant`. */
  issue(grant: AuthorizationCodeGrant): string {
    const code = randomToken();
    const expiresAt = this.clock.now() + AUTHORIZATION_CODE_TTL_SECONDS * 1000;
    this.codes.set(tokenDigest(code), { grant, expiresAt, isRedeemed: false }, expiresAt + TOMBSTONE_MS);
    return code;
  }

  /** Consumes `code`; the first presentation wins whatever happens next, every later one is a replay. */
  redeem(code: string): CodeRedemption {
    const codeId = tokenDigest(code);
    const entry = this.codes.get(codeId);
    if (!entry) return { kind: 'invalid' };
    if (entry.isRedeemed) return { kind: 'reused', refreshFamilyId: entry.refreshFamilyId };
    entry.isRedeemed = true;
    if (entry.expiresAt <= this.clock.now()) return { kind: 'invalid' };
    return { kind: 'ok', grant: entry.grant, codeId };
  }

  /** Records the refresh token family created from a code, so a replay of the code can revoke it (RFC 6749 section 4.1.2). */
  linkRefreshFamily(codeId: string, refreshFamilyId: string): void {
    const entry = this.codes.get(codeId);
    if (entry) entry.refreshFamilyId = refreshFamilyId;
  }
}
