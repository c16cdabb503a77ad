import { JwtAuthError } from '../errors/jwt-auth.error';
import { AuthError, AuthErrorCode, JwtAuthConfigError } from '../errors/auth.errors';
import { isJsonObject } from '../json/strict-json';
import { checkFetchUrl, FetchError } from './http-fetch';
import type {
  KeyLookup,
  KeySource,
  KeySourceEvent,
  KeySourceListener,
  KeySourceState,
  KeySourceStatus,
} from './key-source.interface';
import { describeFailure, RefreshState } from './refresh-state';
import {
  checkConfiguredUrl,
  emitEvent,
  RemoteJwksKeySource,
  resolveRemoteOptions,
  type RemoteKeySourceOptions,
} from './remote-jwks.key-source';
import type { RemoteJwksOptions } from './remote-jwks.options';
import type { VerificationKey } from './verification-key';

const WELL_KNOWN_PATH = '/.well-known/openid-configuration';

/** Thrown by {@link readDiscoveryDocument}; the message never repeats document content. */
export class DiscoveryDocumentError extends JwtAuthError {
  override readonly name = 'DiscoveryDocumentError';
  /** Always `discovery_document_invalid`. */
  readonly code = 'discovery_document_invalid';
}

/**
 * Check an OpenID Provider configuration document and return its `jwks_uri`: the document's `issuer` must equal
 * `issuer` exactly (OpenID Connect Discovery 1.0 section 4.3, no case or trailing-slash normalisation) and `jwks_uri`
 * must obey the same URL rules as any fetch (https unless allowed, no credentials).
 * @throws DiscoveryDocumentError
 */
export function readDiscoveryDocument(document: unknown, issuer: string, allowInsecureHttp: boolean): string {
  if (!isJsonObject(document)) throw new DiscoveryDocumentError('discovery document is not a JSON object');
  if (document['issuer'] !== issuer) throw new DiscoveryDocumentError('discovery document names a different issuer');
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string') throw new DiscoveryDocumentError('discovery document has no jwks_uri string');
  try {
    checkFetchUrl(jwksUri, allowInsecureHttp);
  } catch (error) {
    throw new DiscoveryDocumentError(`jwks_uri refused: ${(error as FetchError).message}`);
  }
  return jwksUri;
}

/**
 * Keys of an OpenID Connect issuer found through discovery: fetches `<issuer>/.well-known/openid-configuration`,
 * checks it names exactly this issuer, then serves keys from its `jwks_uri` through a {@link RemoteJwksKeySource}.
 * The document is cached for `discoveryTtlMs`, refreshed in the background after that, and kept for up to
 * `maxStaleMs` more while refreshes fail.
 * @example
 * const source = new DiscoveryKeySource('https://id.example.com/realms/main', { algorithms: new Set(['RS256']) });
 */
export class DiscoveryKeySource implements KeySource {
  /** The discovery document URL derived from the issuer. */
  readonly discoveryUrl: string;

  private readonly options: RemoteKeySourceOptions;
  private readonly settings: Readonly<Required<RemoteJwksOptions>>;
  private readonly allowInsecureHttp: boolean;
  private readonly now: () => number;
  private readonly listeners = new Set<KeySourceListener>();
  /** Discovery-document fetches; `lastSuccessAt` is when the document was last read. */
  private readonly fetches: RefreshState;

  private jwks: RemoteJwksKeySource | undefined;
  private unsubscribeJwks: (() => void) | undefined;
  private reportedStatus: KeySourceStatus = 'fresh';

  /**
   * @param issuer the exact issuer identifier: `https:` (or `http:` with `allowInsecureHttp`), no query or fragment.
   * @throws JwtAuthConfigError for a bad issuer URL or option
   */
  constructor(
    /** The configured issuer, compared exactly with the document's `issuer`. */
    readonly issuer: string,
    options: RemoteKeySourceOptions = {},
  ) {
    this.allowInsecureHttp = options.allowInsecureHttp === true;
    checkConfiguredUrl('issuer', issuer, this.allowInsecureHttp);
    // OpenID Connect Discovery 1.0 section 2: the issuer has no query or fragment component.
    if (issuer.includes('?') || issuer.includes('#')) {
      throw new JwtAuthConfigError(
        'issuer',
        'an issuer for discovery has no query or fragment',
        'configure the exact issuer identifier, or set jwksUri instead',
      );
    }
    this.settings = resolveRemoteOptions(options);
    this.options = options;
    this.now = options.now ?? Date.now;
    this.discoveryUrl = `${issuer.endsWith('/') ? issuer.slice(0, -1) : issuer}${WELL_KNOWN_PATH}`;
    this.fetches = new RefreshState({
      settings: this.settings,
      allowInsecureHttp: this.allowInsecureHttp,
      now: this.now,
    });
  }

  /** Keys for a token header, from the discovered JWKS (see {@link RemoteJwksKeySource.getKeys}). */
  async getKeys(lookup: KeyLookup): Promise<readonly VerificationKey[]> {
    const jwks = await this.currentJwks();
    return jwks.getKeys(lookup);
  }

  /** Keys at hand from the discovered JWKS (see {@link RemoteJwksKeySource.getKeysSync}), else `undefined`. */
  getKeysSync(lookup: KeyLookup): readonly VerificationKey[] | undefined {
    if (!this.jwks || !this.isDocumentUsable()) return undefined;
    if (this.isRediscoveryDue()) void this.discover();
    return this.jwks.getKeysSync(lookup);
  }

  /** A snapshot for health checks; `url` is the JWKS URL once discovered. */
  getState(): KeySourceState {
    const inner = this.jwks?.getState();
    const usable = (inner?.status === 'fresh' || inner?.status === 'stale') && this.isDocumentUsable();
    const discoveryFailing = this.fetches.consecutiveFailures > 0;
    // Nothing usable, nothing failed, and the current key set not tried yet: at boot, or just after jwks_uri changed.
    const pending = !usable && !discoveryFailing && (inner === undefined || inner.status === 'pending');
    const attempts = [inner?.lastAttemptAt, this.fetches.lastAttemptAt].filter((at): at is number => at !== undefined);
    return Object.freeze({
      kind: 'discovery',
      url: inner?.url ?? this.discoveryUrl,
      status: pending ? 'pending' : !usable ? 'failing' : discoveryFailing ? 'stale' : inner.status,
      keyIds: usable ? inner.keyIds : [],
      keyCount: usable ? inner.keyCount : 0,
      lastSuccessAt: inner?.lastSuccessAt,
      lastAttemptAt: attempts.length > 0 ? Math.max(...attempts) : undefined,
      lastError: discoveryFailing ? this.fetches.lastError : (inner?.lastError ?? this.fetches.lastError),
      consecutiveFailures: this.fetches.consecutiveFailures + (inner?.consecutiveFailures ?? 0),
      rejectedKeys: inner?.rejectedKeys,
      nextRefreshAt: discoveryFailing ? this.fetches.nextRetryAt : inner?.nextRefreshAt,
      // Discovery-document fetches count with the key-set fetches: both are fetches the issuer has to answer.
      fetchCounts: {
        succeeded: this.fetches.counts.succeeded + (inner?.fetchCounts?.succeeded ?? 0),
        failed: this.fetches.counts.failed + (inner?.fetchCounts?.failed ?? 0),
      },
      staleServed: inner?.staleServed ?? 0,
      refetchesSuppressed: inner?.refetchesSuppressed ?? 0,
    });
  }

  /** Fetch the discovery document and the key set once; never rejects. */
  async warmUp(): Promise<void> {
    try {
      const jwks = await this.currentJwks();
      await jwks.warmUp();
    } catch {
      // Failures are recorded in the state and reported to listeners.
    }
  }

  /** Receive state changes and dropped-member reports; returns the unsubscribe function. */
  subscribe(listener: KeySourceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Abort fetches under way and stop fetching. */
  close(): void {
    this.listeners.clear();
    this.fetches.close();
    this.unsubscribeJwks?.();
    this.jwks?.close();
  }

  private async currentJwks(): Promise<RemoteJwksKeySource> {
    if (this.jwks && this.isDocumentUsable()) {
      if (this.isRediscoveryDue()) void this.discover();
      return this.jwks;
    }
    if (!this.fetches.inFlight && (this.fetches.closed || this.fetches.isBackingOff())) throw this.unavailable();
    await this.discover();
    if (!this.jwks || !this.isDocumentUsable()) throw this.unavailable();
    return this.jwks;
  }

  private isDocumentUsable(): boolean {
    const discoveredAt = this.fetches.lastSuccessAt;
    return (
      discoveredAt !== undefined && this.now() - discoveredAt <= this.settings.discoveryTtlMs + this.settings.maxStaleMs
    );
  }

  private isRediscoveryDue(): boolean {
    const { inFlight, closed, lastSuccessAt: discoveredAt } = this.fetches;
    if (inFlight || closed || this.fetches.isBackingOff() || discoveredAt === undefined) return false;
    return this.now() - discoveredAt >= this.settings.discoveryTtlMs;
  }

  private discover(): Promise<boolean> {
    return this.fetches.run(() => this.fetchDocument());
  }

  private async fetchDocument(): Promise<boolean> {
    let jwksUri: string;
    try {
      const document = await this.fetches.fetchJson(this.discoveryUrl);
      jwksUri = readDiscoveryDocument(document, this.issuer, this.allowInsecureHttp);
    } catch (error) {
      if (!this.fetches.closed) this.recordFailure(error);
      return false;
    }
    if (this.jwks?.url !== jwksUri) this.replaceJwks(jwksUri);
    this.fetches.recordSuccess();
    this.reportStatus();
    return true;
  }

  private replaceJwks(jwksUri: string): void {
    this.unsubscribeJwks?.();
    this.jwks?.close();
    const jwks = new RemoteJwksKeySource(jwksUri, { ...this.options, now: this.now });
    this.unsubscribeJwks = jwks.subscribe((event) => this.onJwksEvent(event));
    this.jwks = jwks;
  }

  private onJwksEvent(event: KeySourceEvent): void {
    if (event.type === 'refreshed' || event.type === 'keys-rejected')
      this.emit({ type: event.type, state: this.getState() });
    this.reportStatus();
  }

  private recordFailure(error: unknown): void {
    this.fetches.recordFailure(error, error instanceof DiscoveryDocumentError ? error.message : describeFailure(error));
    this.reportStatus();
  }

  private reportStatus(): void {
    const state = this.getState();
    // Waiting for the first fetches is no state change worth an event, and neither is a set or document that has
    // merely aged out with no failure yet: the next call refetches it.
    if (
      state.status === this.reportedStatus ||
      state.status === 'pending' ||
      (state.status === 'failing' && state.consecutiveFailures === 0)
    )
      return;
    this.reportedStatus = state.status;
    const error = state.lastError ?? 'the discovery document expired';
    if (state.status === 'fresh') this.emit({ type: 'recovered', state });
    else if (state.status === 'stale') this.emit({ type: 'stale', state, error });
    else this.emit({ type: 'failing', state, error });
  }

  private unavailable(): AuthError {
    this.reportStatus();
    return new AuthError(
      AuthErrorCode.KEYS_UNAVAILABLE,
      'Signing keys are unavailable',
      {},
      { cause: this.fetches.lastFailure },
    );
  }

  private emit(event: KeySourceEvent): void {
    emitEvent(this.listeners, event);
  }
}
