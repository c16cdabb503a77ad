/** Invalid service configuration, found at boot; the message lists every bad variable with the fix. */
export class ServiceConfigError extends Error {
  override readonly name = 'ServiceConfigError';

  constructor(
    /** One line per problem, each naming the variable. */
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Collects problems while a configuration is read, so the service reports all of them at once. */
export class ProblemList {
  private readonly problems: string[] = [];

  /** Record one problem. */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Run `read`, adding the problems of a {@link ServiceConfigError} it throws; `undefined` then. */
  collect<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ServiceConfigError)) throw error;
      this.problems.push(...error.problems);
      return undefined;
    }
  }

  /** Throw {@link ServiceConfigError} when any problem was recorded. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new ServiceConfigError(this.problems);
  }
}
