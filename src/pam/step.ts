// What a PAM step is given to run with, by pam-main.ts: the key=value words
// of its line, pam_exec's environment, the response on stdin, and the two
// outputs, which under pam_exec are the conversation with the person logging
// in (so `note` is for an admin trying a step on a shell, never under PAM_TYPE).

export interface PamStepContext {
  /** The words after the step's name: key=value parameters. */
  words: readonly string[];
  env: NodeJS.ProcessEnv;
  /** All of stdin (the token with expose_authtok); more than `limit` bytes is an error. */
  readResponse(limit: number): Promise<string>;
  /** A line for the person logging in (pam_exec's stdout). */
  out(line: string): void;
  /** A line for an admin who ran the step on a shell. */
  note(line: string): void;
}

export interface PamStep {
  /** Full help text, starting with the usage line. */
  help: string;
  run(ctx: PamStepContext): Promise<number>;
}
