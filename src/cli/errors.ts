// The two ways a command ends badly, by exit status: 2 for a command line that
// cannot work as typed, 1 for everything that went wrong while doing it.

/** Wrong use of the command line; main prints a hint to the command's help. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that did not do what was asked; the message is the whole story. */
export class CliFailure extends Error {
  override name = 'CliFailure';
}
