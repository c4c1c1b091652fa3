// What the audit log records about the call an attempt came from.
import type { Context } from '../auth/verifier.js';
import type { CallChannel } from './channel.js';

export function callContext(ch: CallChannel, source: string): Context {
  return { source, callerId: ch.info.callerId, channel: ch.info.channel, uniqueId: ch.info.uniqueId };
}
