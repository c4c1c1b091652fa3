// What went wrong, as text for a person: a thrown value is usually an Error,
// but nothing in JavaScript makes it one, and a string or an object thrown by
// a library must still come out as something readable rather than
// "undefined" or a second exception while the first is being reported.

/** The message of an Error; any other thrown value as a string. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
