import { JwtAuthConfigError, type ConfigProblem } from './auth.errors';

/**
 * Collects option problems so that one {@link JwtAuthConfigError} reports all of them at once, rather than the first
 * only: a fix-and-retry loop per problem is what makes configuration slow to get right.
 */
export class ConfigProblems {
  private readonly list: ConfigProblem[] = [];
  // Options a did-you-mean pointed at while they are absent: their own "is missing" problem would only repeat it.
  private readonly suggested = new Set<string>();

  /** How many problems have been recorded so far. */
  get count(): number {
    return this.list.length;
  }

  add(option: string, problem: string, fix: string): void {
    this.list.push({ option, problem, fix });
  }

  /** Run one check; a {@link JwtAuthConfigError} it throws is recorded (every problem of it) and `undefined` returned. */
  check<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof JwtAuthConfigError)) throw error;
      for (const problem of error.problems) this.list.push(problem);
      return undefined;
    }
  }

  /**
   * Refuse every member of `options` that is not in `known`, by name, with the closest known name when one is near.
   * `path` prefixes the reported names (`issuers[0]`), `owner` names what takes the options in the fix, and
   * `alsoSuggest` lists names accepted elsewhere (module extras) that a typo may still have meant.
   */
  rejectUnknown(
    path: string,
    options: object,
    known: readonly string[],
    owner: string,
    alsoSuggest: readonly string[] = [],
  ): string[] {
    const unknown = Object.keys(options).filter((name) => !known.includes(name) && !alsoSuggest.includes(name));
    for (const name of unknown) {
      const suggestion = closestName(name, [...known, ...alsoSuggest]);
      if (suggestion !== undefined && (options as Record<string, unknown>)[suggestion] === undefined) {
        this.suggested.add(join(path, suggestion));
      }
      this.add(
        join(path, name),
        suggestion === undefined ? 'unknown option' : `unknown option; did you mean ${suggestion}?`,
        suggestion === undefined ? `remove it; ${owner} takes ${known.join(', ')}` : `rename ${name} to ${suggestion}`,
      );
    }
    return unknown;
  }

  /** Every problem recorded, with `rename(option)` applied to each path; problems of suggested options dropped. */
  problems(rename: (option: string) => string = (option) => option): ConfigProblem[] {
    return this.list
      .filter((entry) => !this.suggested.has(entry.option) || entry.problem.startsWith('unknown option'))
      .map((entry) => ({ ...entry, option: rename(entry.option) }));
  }

  /** Throw one {@link JwtAuthConfigError} listing every problem, if there is any. */
  throwIfAny(rename?: (option: string) => string): void {
    const problems = this.problems(rename);
    if (problems.length > 0) throw new JwtAuthConfigError(problems);
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** The known name closest to `name` (same letters ignoring case, or a few typos away), if one is close enough. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance, with an adjacent transposition counted as one edit. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[i].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, rows[i - 2][j - 2] + 1);
      rows[i].push(value);
    }
  }
  return rows[a.length][b.length];
}
