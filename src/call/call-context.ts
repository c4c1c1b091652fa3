// What the audit log records about the call an attempt came from.
import type { Context } from '../auth/verifier.js';
import type { CallChannel } from './channel.js';

/** `pbx`: this PBX's name (pbx_name), on every audit row. */
export function callContext(ch: CallChannel, source: string, pbx: string): Context {
  return { source, pbx, callerId: ch.info.callerId, channel: ch.info.channel, uniqueId: ch.info.uniqueId };
}
