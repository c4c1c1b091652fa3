// Why a PAM step refused: either way the login fails and the admin's log
// gets the message; the person logging in sees nothing of it.

/** A problem the admin must fix: a parameter, a file, a directory, the environment. */
export class PamConfigError extends Error {
  override name = 'PamConfigError';
}

/** Why a challenge's state could not be used. */
export class PamStateError extends Error {
  override name = 'PamStateError';
}
