// The ways a command ends badly, by exit status: 2 for a command line that
// cannot work as typed, 1 for everything that went wrong while doing it,
// 130 (128 + SIGINT, as a shell reports it) when the admin pressed Ctrl-C.

/** Exit status of a command the admin interrupted: 128 + SIGINT. */
export const INTERRUPTED_EXIT = 130;

/** The CLI layer's failures; `code` is the exit status they end the command with. */
class CliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2 | typeof INTERRUPTED_EXIT,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Wrong use of the command line; main prints a hint to the command's help. */
export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
    this.name = 'UsageError';
  }
}

/** A command that did not do what was asked; the message is the whole story. */
export class CliFailure extends CliError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.name = 'CliFailure';
  }
}

/** Ctrl-C where the terminal hands it over as a key (a question asked unseen, in raw mode); nothing more is said. */
export class Interrupted extends CliError {
  constructor() {
    super('interrupted', INTERRUPTED_EXIT);
    this.name = 'Interrupted';
  }
}
