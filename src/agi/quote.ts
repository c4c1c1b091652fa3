// AGI splits a command line on spaces, honours "..." and treats \ as an
// escape; one line is one command. An argument is therefore only safe if it
// can carry none of those, so a value can never smuggle in a second argument
// or a second command.
import { AgiProtocolError } from './errors.js';

// Control characters (line breaks above all), the quote and the escape.
const UNSAFE = /[\u0000-\u001f\u007f"\\]/;
const UNSAFE_ALL = /[\u0000-\u001f\u007f"\\]/g;

/** Wraps a value in "..." for an AGI command; throws AgiProtocolError if it holds ", \ or a control character. */
export function quoteArg(value: string): string {
  if (UNSAFE.test(value)) throw new AgiProtocolError('refusing an AGI argument with a quote, backslash or control character');
  return `"${value}"`;
}

/** Makes free text (log lines, messages) safe for quoteArg: control characters become spaces, " and \ become '. */
export function sanitizeText(value: string): string {
  return value.replace(UNSAFE_ALL, (c) => (c === '"' || c === '\\' ? "'" : ' '));
}
