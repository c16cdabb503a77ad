import { createHash, randomBytes } from 'node:crypto';

/** A signed-in person, as this app keeps them server-side. Tokens never leave this object for the browser. */
export interface WebSession {
  /** Subject (`sub` of the ID token). */
  readonly sub: string;
  /** Display name from userinfo (or `sub`). */
  readonly name: string;
  /** The provider's session id (`sid` of the ID token), matched by back-channel logout. */
  readonly sid: string | undefined;
  /** The ID token, kept as `id_token_hint` for RP-initiated logout. */
  readonly idToken: string;
  /** Current access token. */
  accessToken: string;
  /** Current refresh token, if any. */
  refreshToken: string | undefined;
  /** When the access token expires (ms since epoch). */
  accessTokenExpiresAt: number;
  /** Scopes granted to the access token. */
  scopes: readonly string[];
  /** How many times the access token was refreshed in this session. */
  refreshCount: number;
  /** When the session ends (ms since epoch). */
  readonly expiresAt: number;
}

/** A sign-in in progress: the PKCE verifier, state and nonce the callback must match. */
export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Path to return to after sign-in (same-origin, starts with `/`). */
  readonly returnTo: string;
  readonly expiresAt: number;
}

const MAX_SESSIONS = 10_000;
const MAX_TRANSACTIONS = 10_000;

function digest(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}

/**
 * Sessions and sign-in transactions in memory, keyed by the SHA-256 of a random cookie value (the cookie holds only
 * that id). Sessions are also found by `sid` and `sub`, so a logout token ends every matching one.
 */
export class WebSessionStore {
  private readonly sessions = new Map<string, WebSession>();
  private readonly transactions = new Map<string, LoginTransaction>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Stores a new session and returns the cookie value that names it. */
  create(session: WebSession): string {
    this.prune();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(digest(id), session);
    return id;
  }

  /** The live session named by a cookie value. */
  find(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(digest(id));
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(digest(id));
      return undefined;
    }
    return session;
  }

  /** Ends the session named by a cookie value. */
  destroy(id: string | undefined): WebSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(digest(id));
    this.sessions.delete(digest(id));
    return session;
  }

  /**
   * Ends every session of the provider session `sid` (when given) or else of the subject `sub`; both given, a session
   * must match both (Back-Channel Logout 1.0 section 2.7). Returns how many ended.
   */
  destroyMatching(sid: string | undefined, sub: string | undefined): number {
    let ended = 0;
    for (const [key, session] of this.sessions) {
      const isMatch =
        (sid !== undefined || sub !== undefined) &&
        (sid === undefined || session.sid === sid) &&
        (sub === undefined || session.sub === sub);
      if (isMatch) {
        this.sessions.delete(key);
        ended++;
      }
    }
    return ended;
  }

  /** Number of live sessions. */
  get size(): number {
    this.prune();
    return this.sessions.size;
  }

  /** Every live session, for tests and health pages. */
  list(): WebSession[] {
    this.prune();
    return [...this.sessions.values()];
  }

  /** Starts a sign-in and returns the cookie value that names it. */
  startLogin(transaction: LoginTransaction): string {
    for (const [key, entry] of this.transactions) if (entry.expiresAt <= this.now()) this.transactions.delete(key);
    if (this.transactions.size >= MAX_TRANSACTIONS)
      this.transactions.delete(this.transactions.keys().next().value as string);
    const id = randomBytes(24).toString('base64url');
    this.transactions.set(digest(id), transaction);
    return id;
  }

  /** Takes (single use) the sign-in named by a cookie value. */
  takeLogin(id: string | undefined): LoginTransaction | undefined {
    if (!id) return undefined;
    const transaction = this.transactions.get(digest(id));
    this.transactions.delete(digest(id));
    return transaction && transaction.expiresAt > this.now() ? transaction : undefined;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}
