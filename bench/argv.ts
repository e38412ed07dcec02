/** What the command lines of the bench and the soak share: the refusal and the walk over the flags. */

/** A command line that is not taken; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Calls `take` with each flag of `argv` in order; its `value()` consumes the
 * argument after the flag and returns it, or throws a {@link UsageError} when
 * there is none.
 */
export function eachFlag(
  argv: readonly string[],
  take: (flag: string, value: () => string) => void,
): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    take(flag, () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    });
  }
}
