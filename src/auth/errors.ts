// The auth layer's failures, with a code where callers decide by it.

export class AuthError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }
}

/**
 * - missing: there is no key file (the CLI may create one);
 * - unusable: it cannot be opened, written or read as a key, or is open to others;
 * - mismatch: it is not the key the database was made with, or the database records none;
 * - lost: the database was made with a key that is gone (a new one could not read the secrets).
 */
export type KeyFileProblem = 'missing' | 'unusable' | 'mismatch' | 'lost';

export class KeyFileError extends AuthError {
  declare readonly code: KeyFileProblem;

  constructor(message: string, code: KeyFileProblem, options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'KeyFileError';
  }
}
