/** Every input converted. */
export const EXIT_OK = 0
/** One or more inputs failed; the others were still written. */
export const EXIT_FAILED = 1
/** The command line itself was wrong. */
export const EXIT_USAGE = 2

/** A mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
