import { AuthError, AuthErrorCode } from '../errors/auth.errors';
import { ConfigProblems } from '../errors/config-problems';
import { TokenParser } from '../jws/compact';
import { checkProtectedHeader } from '../jws/header';
import type { JsonObject } from '../json/strict-json';
import { validateClaims } from '../jwt/claims';
import type { KeySourceState } from '../keys/key-source.interface';
import { ISSUER_OPTION_NAMES, normalizeVerifierOptions, type IssuerRuntime } from './issuer-config';
import type { IssuerOptions } from './verifier-options.interface';
import { verifyWithCandidates } from './verify-jws';

/** The `events` member that marks a Back-Channel Logout token (OpenID Connect Back-Channel Logout 1.0 section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Options of {@link LogoutTokenVerifier}: the one issuer (the OpenID provider) and the relying party's `client_id`. */
export interface LogoutTokenVerifierOptions
  extends Omit<IssuerOptions, 'audience' | 'scopeClaim' | 'tokenType' | 'requiredClaims'> {
  /** The relying party's `client_id`, the only accepted `aud`. */
  readonly clientId: string;
  /** Longest accepted logout token in characters. @default 8192 */
  readonly maxTokenLength?: number;
  /** How many `jti` values are remembered (each until its token expires) to refuse replays. @default 10000 */
  readonly replayCacheSize?: number;
  /** Refuse tokens whose `iat` is older than this many seconds. @default 300 */
  readonly maxTokenAge?: number;
  /** Clock in milliseconds since the epoch; for tests. @default Date.now */
  readonly now?: () => number;
}

/** What a verified logout token says: which session (`sid`) and/or which user (`sub`) to sign out. */
export interface LogoutTokenClaims {
  /** The verified `iss`. */
  readonly issuer: string;
  /** `sub`, when present. */
  readonly subject: string | undefined;
  /** `sid`, the provider's session id, when present. */
  readonly sessionId: string | undefined;
  /** The token's unique id. */
  readonly jti: string;
  /** Every claim, frozen. */
  readonly claims: JsonObject;
}

// The issuer options a logout token has no use for: its audience is the client id, and it carries no scopes.
const OMITTED_ISSUER_OPTIONS: readonly string[] = ['audience', 'scopeClaim', 'tokenType', 'requiredClaims'];

const KNOWN_OPTIONS: readonly string[] = [
  ...ISSUER_OPTION_NAMES.filter((name) => !OMITTED_ISSUER_OPTIONS.includes(name)),
  'clientId',
  'maxTokenLength',
  'replayCacheSize',
  'now',
];

function invalid(message: string, issuer: string): AuthError {
  return new AuthError(AuthErrorCode.CLAIM_INVALID, message, { issuer });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLogoutType(typ: string | undefined): boolean {
  // RFC 7515 4.1.9: "application/" may be omitted; media types compare case-insensitively.
  const lower = typ?.toLowerCase();
  return lower === 'logout+jwt' || lower === 'application/logout+jwt';
}

/**
 * Validates OpenID Connect Back-Channel Logout 1.0 logout tokens (section 2.6) with the same strict parsing, header
 * rules and keys as access tokens: explicit `typ: logout+jwt` (so no other token of the provider passes as one), `iss`
 * exact, `aud` the client id, `iat`, `exp` and `jti` required, the back-channel `events` member, `sid` or `sub`, no
 * `nonce`, and each `jti` accepted once. Framework-free.
 *
 * @example
 * const verifier = new LogoutTokenVerifier({ issuer: 'https://id.example.com', clientId: 'web-portal' });
 * const { sessionId, subject } = await verifier.verify(body.logout_token); // rejects with AuthError
 */
export class LogoutTokenVerifier {
  private readonly runtime: IssuerRuntime;
  private readonly parser: TokenParser;
  private readonly now: () => number;
  private readonly replayCacheSize: number;
  // jti -> expiry (ms) of the token that used it; a token is refused once its jti is here.
  private readonly seen = new Map<string, number>();

  /** @throws JwtAuthConfigError when the options are invalid. */
  constructor(options: LogoutTokenVerifierOptions) {
    const problems = new ConfigProblems();
    if (typeof options !== 'object' || options === null)
      problems.add('options', 'must be an object', 'pass { issuer, clientId, ... }');
    else problems.rejectUnknown('', options, KNOWN_OPTIONS, 'LogoutTokenVerifier');
    const { clientId, maxTokenLength, replayCacheSize, now, maxTokenAge, clockTolerance, ...issuerOptions } =
      options ?? ({} as LogoutTokenVerifierOptions);
    const hasClientId = typeof clientId === 'string' && clientId.length > 0;
    if (!hasClientId) problems.add('clientId', 'is empty', "set the relying party's client_id");
    this.replayCacheSize = replayCacheSize ?? 10_000;
    if (!Number.isInteger(this.replayCacheSize) || this.replayCacheSize < 1 || this.replayCacheSize > 1_000_000)
      problems.add('replayCacheSize', 'must be an integer from 1 to 1000000', 'remove it to use the default (10000)');
    const normalized = problems.check(() =>
      normalizeVerifierOptions({
        issuers: [
          {
            ...issuerOptions,
            // A missing clientId is reported above as such, not a second time as the audience it becomes.
            audience: hasClientId ? clientId : 'unset',
            maxTokenAge: maxTokenAge ?? 300,
            requiredClaims: ['iat', 'jti'],
            // OIDC Back-Channel Logout 2.4: `sid` or `sub`, checked below; an access token's required `sub` does not
            // apply.
            requireSubject: false,
          },
        ],
        maxTokenLength,
        clockTolerance,
        now,
        verifiedTokenCacheSize: 0,
      }),
    );
    // Every problem at once, named as this class's options: its one issuer's are flat, not under issuers[0].
    problems.throwIfAny((option) => option.replace(/^issuers\[0\](\.|$)/, '') || 'options');
    const { issuers, maxTokenLength: length } = normalized as NonNullable<typeof normalized>;
    this.runtime = issuers.values().next().value as IssuerRuntime;
    this.parser = new TokenParser({ maxTokenLength: length });
    this.now = now ?? Date.now;
  }

  /**
   * Verify a logout token and remember its `jti`. Rejects only with {@link AuthError}: `type_invalid` for another
   * token type, `claim_invalid` for a missing event, `nonce`, `sid`/`sub`, or a replayed `jti`.
   */
  async verify(token: string): Promise<LogoutTokenClaims> {
    const issuer = this.runtime;
    try {
      const parsed = this.parser.parse(token);
      const claims = this.parser.parsePayload(parsed);
      if (claims['iss'] !== issuer.issuer)
        throw new AuthError(AuthErrorCode.ISSUER_INVALID, 'token issuer is not trusted');
      const header = checkProtectedHeader(parsed.header, issuer.algorithms);
      if (!isLogoutType(header.typ))
        throw new AuthError(AuthErrorCode.TYPE_INVALID, 'token type is not logout+jwt', { issuer: issuer.issuer });
      const lookup = { kid: header.kid, alg: header.alg.name };
      const candidates = issuer.keySource.getKeysSync?.(lookup) ?? (await issuer.keySource.getKeys(lookup));
      verifyWithCandidates(this.parser, parsed, header, candidates);
      const nowMs = this.now();
      const { exp } = validateClaims(claims, issuer.claims, nowMs / 1000);
      const events = claims['events'];
      if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT]))
        throw invalid('token has no back-channel logout event', issuer.issuer);
      // Section 2.4: a nonce is prohibited, so an ID token can never be used as a logout token.
      if (claims['nonce'] !== undefined) throw invalid('a logout token must not contain "nonce"', issuer.issuer);
      const sub = claims['sub'];
      const sid = claims['sid'];
      // An empty sid or sub names no session and no user: such a token would be answered 200 and end nothing.
      if (sid !== undefined && (typeof sid !== 'string' || sid.length === 0))
        throw invalid('"sid" must be a non-empty string', issuer.issuer);
      if (sub === '') throw invalid('"sub" is empty', issuer.issuer);
      if (sub === undefined && sid === undefined) throw invalid('token has neither "sid" nor "sub"', issuer.issuer);
      const jti = claims['jti'] as string;
      // Every token with an empty jti would share one replay-cache entry: the first would block the rest.
      if (jti.length === 0) throw invalid('"jti" is empty', issuer.issuer);
      this.remember(jti, (exp + issuer.claims.clockTolerance) * 1000, nowMs);
      return Object.freeze({
        issuer: issuer.issuer,
        subject: typeof sub === 'string' ? sub : undefined,
        sessionId: typeof sid === 'string' ? sid : undefined,
        jti,
        claims,
      });
    } catch (error) {
      throw AuthError.from(error);
    }
  }

  /** State of the issuer's key source, for health checks. */
  getKeySourceState(): KeySourceState {
    return this.runtime.keySource.getState();
  }

  /** Release the key source. */
  close(): void {
    this.runtime.keySource.close?.();
  }

  private remember(jti: string, expiresAt: number, now: number): void {
    const until = this.seen.get(jti);
    if (until !== undefined && until > now)
      throw invalid('logout token was already used (jti replay)', this.runtime.issuer);
    if (this.seen.size >= this.replayCacheSize) {
      for (const [id, expiry] of this.seen) if (expiry <= now) this.seen.delete(id);
    }
    // Fail closed: with the cache full of live entries, forgetting one would let it be replayed.
    if (this.seen.size >= this.replayCacheSize)
      throw invalid('too many logout tokens in flight; try again later', this.runtime.issuer);
    this.seen.set(jti, expiresAt);
  }
}
