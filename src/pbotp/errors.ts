/**
 * Input that cannot be used: a malformed key, challenge, login field or code.
 * The message is safe to show to the person who typed the input (it never
 * contains key material), so the HTTP responder answers 400 with it and the
 * CLI prints it.
 */
export class PbotpInputError extends Error {
  override name = 'PbotpInputError';
}
