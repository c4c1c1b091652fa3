// Every call, whatever brought it (classic AGI, FastAGI, the simulator),
// from its first command to its last: ASTOTP=FAILURE before anything else,
// then the flow or the refusal its entry point decided, the report, and the
// channel closed. The entry points only make the channel and say why a call
// is refused; the sequence lives here once.
import type { AccountEvent } from '../auth/account-events.js';
import { HangupError, type CallChannel } from './channel.js';
import { type CallOutcome, endedBy, failFirst, refusal, report } from './dialplan-result.js';
import type { RunOptions } from './run-call.js';

export interface CallRequest extends Omit<RunOptions, 'broken'> {
  /**
   * Why the entry point refuses the call before its flow (a header that
   * differs from argv, a FastAGI path it does not serve, a full server):
   * reported as an error, with no database opened.
   */
  refusal?: string | null;
}

/** Runs one call to its end; never throws. */
export async function serveCall(ch: CallChannel, req: CallRequest): Promise<CallOutcome> {
  try {
    let broken: unknown;
    try {
      // Fail closed before anything else can go wrong: from here on, a crash still leaves FAILURE.
      await failFirst(ch);
    } catch (err) {
      // A caller gone before the first command: nothing to tell and nobody to tell it to.
      if (err instanceof HangupError) return endedBy(err);
      broken = err;
    }
    if (req.refusal) return await report(ch, refusal(req.refusal));
    // Loaded only once a call is sure to run: a busy refusal needs none of it.
    const { runCall } = await import('./run-call.js');
    const outcome = await runCall(ch, { ...req, ...(broken === undefined ? {} : { broken }) });
    if (outcome.events?.length) await notice(ch, outcome.events, req);
    return outcome;
  } catch (err) {
    // runCall reports its own troubles; this is a bug, and the call still ends FAILURE.
    return endedBy(err);
  } finally {
    await ch.close();
  }
}

/** The result is set: a UserEvent now, the other notices once the channel is closed. */
async function notice(ch: CallChannel, events: readonly AccountEvent[], req: CallRequest): Promise<void> {
  try {
    const [{ announce }, { loadSettings }, { deliverLater }] = await Promise.all([
      import('./announce.js'),
      import('../config/settings.js'),
      import('../notify/dispatch.js'),
    ]);
    const place = await announce(ch, events, (req.settings ?? loadSettings)());
    if (!place) return;
    await ch.close();
    deliverLater(events, place);
  } catch {
    // Notices never change a call's result.
  }
}
