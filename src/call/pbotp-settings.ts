// What a pbotp call needs from the settings, checked before the call is
// answered: a call without the authority's key or a group fails closed.
// The values themselves were parsed where astotp.conf was read.
import { SettingsError, type Settings } from '../config/settings.js';
import { checkLoginField } from '../pbotp/login.js';
import { errorMessage } from '../text/error-message.js';

export interface PbotpCall {
  serverPub: Uint8Array;
  group: string;
  host: string;
  /** Length of the response code. */
  digits: number;
  /** Base URL for the challenge link sent as text, or null. */
  url: string | null;
  timeoutMs: number;
}

export function pbotpCall(s: Settings): PbotpCall {
  if (s.pbotpPubkey === null) throw new SettingsError("mode pbotp needs pbotp_pubkey (the authority's public key) in astotp.conf");
  if (s.pbotpGroup === null)
    throw new SettingsError('mode pbotp needs pbotp_group (the device group the authority decides on) in astotp.conf');
  try {
    // The default host is the system's name, which nothing has checked yet.
    checkLoginField('host', s.pbotpHost);
  } catch (err) {
    throw new SettingsError(`the system's host name cannot be the pbotp host: ${errorMessage(err)}; set pbotp_host in astotp.conf`);
  }
  return {
    serverPub: s.pbotpPubkey,
    group: s.pbotpGroup,
    host: s.pbotpHost,
    digits: s.pbotpDigits,
    url: s.pbotpUrl,
    timeoutMs: s.pbotpTimeoutMs,
  };
}
