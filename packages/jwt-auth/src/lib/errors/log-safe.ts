/** Longest attacker- or JWKS-controlled string written to a log line, in characters. */
export const MAX_LOGGED_LENGTH = 128;

const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * The one way an attacker- or JWKS-controlled value (`kid`, `alg`, `iss`, JWKS member names and reasons, URLs,
 * request paths) reaches a log line: printable ASCII only, as a double-quoted string with `"` and `\` escaped and every
 * other character as `\xHH` / `\uHHHH` (so no CR/LF starts a fake line and no terminal escape sequence survives),
 * cut to {@link MAX_LOGGED_LENGTH} characters of input. A non-string is described by its type only.
 * @example logSafe('k1\r\nERROR forged') === '"k1\\x0d\\x0aERROR forged"'
 */
export function logSafe(value: unknown, maxLength: number = MAX_LOGGED_LENGTH): string {
  if (value === undefined) return '(none)';
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  const cut = value.length > maxLength;
  const text = cut ? value.slice(0, maxLength) : value;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) out += `\\${text[i]}`;
    else if (code >= 0x20 && code <= 0x7e) out += text[i];
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `"${out}"${cut ? `...(${value.length - maxLength} more)` : ''}`;
}

/**
 * The value itself when it is a non-empty string of at most {@link MAX_LOGGED_LENGTH} printable ASCII characters
 * without spaces (safe to log and to carry in error details as it is), else `undefined`.
 */
export function printableOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_LOGGED_LENGTH &&
    PRINTABLE.test(value) &&
    !value.includes(' ')
    ? value
    : undefined;
}
