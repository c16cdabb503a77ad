import { OAuthError } from './oauth.errors';

const MAX_VALUE_LENGTH = 4096;

/** Parameters of an OAuth request (query string or form body), with the RFC 6749 section 3.1/3.2 rules applied. */
export class RequestParams {
  private constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  /**
   * Wraps a parsed query or urlencoded body. Anything but strings or arrays of strings (nested objects
   * from bracket syntax) is refused, and empty values count as absent.
   */
  static from(source: unknown): RequestParams {
    const values = new Map<string, string[]>();
    if (source === undefined || source === null) return new RequestParams(values);
    if (typeof source !== 'object') throw new OAuthError('invalid_request', 'malformed parameters');
    for (const [name, raw] of Object.entries(source)) {
      const list = Array.isArray(raw) ? raw : [raw];
      if (!list.every((item) => typeof item === 'string')) {
        throw new OAuthError('invalid_request', `malformed parameter ${safeName(name)}`);
      }
      if (list.some((item) => item.length > MAX_VALUE_LENGTH)) {
        throw new OAuthError('invalid_request', `parameter ${safeName(name)} is too long`);
      }
      const present = (list as string[]).filter((item) => item !== '');
      if (present.length > 0) values.set(name, present);
    }
    return new RequestParams(values);
  }

  /** The single value of `name`; repeating it is an `invalid_request` (RFC 6749 section 3.1). */
  one(name: string): string | undefined {
    const list = this.values.get(name);
    if (list && list.length > 1) throw new OAuthError('invalid_request', `parameter ${name} must not be repeated`);
    return list?.[0];
  }

  /** The single value of `name`, which must be present. */
  required(name: string): string {
    const value = this.one(name);
    if (value === undefined) throw new OAuthError('invalid_request', `missing parameter ${name}`);
    return value;
  }

  /** Every value of a parameter that may repeat, such as RFC 8707 `resource`. */
  all(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  /** True when `name` is present with a non-empty value. */
  has(name: string): boolean {
    return this.values.has(name);
  }
}

function safeName(name: string): string {
  return /^[A-Za-z0-9_]{1,40}$/.test(name) ? name : '(unnamed)';
}
