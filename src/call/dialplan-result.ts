// The dialplan contract, written once for every path a call can take
// (classic, FastAGI, a refused or busy connection, the simulator): ASTOTP is
// FAILURE before anything else can go wrong, the reason variables follow,
// and SUCCESS is the very last thing set, only for a verified caller.
import type { AccountEvent } from '../auth/account-events.js';
import { HangupError, type CallChannel } from './channel.js';
import type { CallReason } from './attempt-loop.js';
import { errorMessage } from '../text/error-message.js';

/** How a call ended, as the dialplan learns it. SUCCESS only ever with reason ok and a user. */
export type CallOutcome =
  | { ok: true; reason: 'ok'; user: string; error: null; events?: AccountEvent[] }
  | {
      ok: false;
      reason: Exclude<CallReason, 'ok'>;
      user: string | null;
      /** A sentence for the admin when reason is 'error'; never holds typed digits. */
      error: string | null;
      /** For the audit row only: why a call that is no error ended as it did (pin-unchanged). */
      note?: string;
      /** Set by report() when SUCCESS was sent without being acknowledged: what is known of ASTOTP now, for the audit log. */
      astotp?: string;
      /** What the attempts found that the account's people should hear of. */
      events?: AccountEvent[];
    };

/** The first command of every call: whatever happens next, the dialplan reads FAILURE. */
export async function failFirst(ch: CallChannel): Promise<void> {
  await ch.setVariable('ASTOTP', 'FAILURE', { failClosed: true });
}

/** A call that ends before its flow ran (bad request, busy server): reason error and why. */
export function refusal(error: string): CallOutcome {
  return { ok: false, reason: 'error', user: null, error };
}

/** An ending the flow did not decide: a hangup, or an error described for the admin. */
export function endedBy(err: unknown, user: string | null = null): CallOutcome {
  return err instanceof HangupError
    ? { ok: false, reason: 'hangup', user, error: null }
    : { ok: false, reason: 'error', user, error: describe(err) };
}

/**
 * Sets the variables the dialplan reads and returns the outcome it was told.
 * A hangup or protocol error before every variable was acknowledged makes
 * that a FAILURE (hangup or error): SUCCESS counts only once its own SET
 * VARIABLE was acknowledged.
 */
export async function report(ch: CallChannel, o: CallOutcome): Promise<CallOutcome> {
  let told = o;
  for (const [name, value] of variables(o)) {
    try {
      await ch.setVariable(name, value);
    } catch (err) {
      told = cutShort(o, err);
      // A SUCCESS answered with anything but its acknowledgement may have
      // taken: FAILURE over it, once, and the ending says what the channel
      // holds now. Before SUCCESS was sent, it holds the first FAILURE.
      if (name === 'ASTOTP' && value === 'SUCCESS' && !told.ok) told = { ...told, astotp: await overrideSuccess(ch) };
      // What was set so far belongs to the old outcome: the new one in full,
      // as far as the transport still takes variables (a dead channel does, briefly).
      for (const [n, v] of variables(told)) await ch.setVariable(n, v).catch(() => {});
      break;
    }
  }
  if (told.error) await ch.log(`error: ${told.error}`, 0);
  await ch.log(`result ${told.ok ? 'SUCCESS' : 'FAILURE'} (${told.reason})${told.ok ? ` for user ${told.user}` : ''}`, 1);
  return told;
}

/** In the order they are set: ASTOTP=SUCCESS last, so nothing after it can fail the call half-way. */
function variables(o: CallOutcome): Array<readonly [string, string]> {
  return [
    ['ASTOTP_REASON', o.reason],
    ['ASTOTP_USER', o.ok ? o.user : ''],
    ...(o.error ? [['ASTOTP_ERROR', o.error] as const] : []),
    ...(o.ok ? [['ASTOTP', 'SUCCESS'] as const] : []),
  ];
}

/** Sets FAILURE after an unacknowledged SUCCESS; returns what is then known of ASTOTP on the channel. */
async function overrideSuccess(ch: CallChannel): Promise<string> {
  try {
    await ch.setVariable('ASTOTP', 'FAILURE', { failClosed: true });
    return 'ASTOTP=FAILURE set over it and acknowledged';
  } catch {
    return 'ASTOTP unknown: FAILURE sent over it without an acknowledgement';
  }
}

/** A call that already ended in a hangup or an error keeps that first cause. */
function cutShort(o: CallOutcome, err: unknown): CallOutcome {
  if (o.reason === 'hangup' || o.reason === 'error') return o;
  return endedBy(err, o.user);
}

function describe(err: unknown): string {
  const msg = errorMessage(err);
  return msg.replace(/\s+/g, ' ').slice(0, 300);
}
