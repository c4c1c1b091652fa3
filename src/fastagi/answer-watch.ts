// The clock of a FastAGI connection: how long Asterisk takes to answer. It
// runs from a command written until its reply is complete, and only then: time
// the server spends itself (PIN hashes queued behind hundreds of others) never
// closes a call. Bytes that do not complete a reply never reset it, so a peer
// cannot hold its connection by trickling a reply one byte at a time.
//
// Both ends of each interval come from the session itself, never from a
// reading of the socket of our own: two parsers can be made to disagree (a
// line one of them never saw), and a watch that takes for a reply what the
// session does not would stop its clock while the session still waits. A
// wall-clock limit no reply stops backs up both.
import type { Socket } from 'node:net';
import type { AgiSessionObserver } from '../agi/session.js';

export interface AnswerLimits {
  /** How long one command that waits for the caller (a prompt) may wait for its reply. */
  commandMs: number;
  /** How long any other command may wait: Asterisk answers those at once. */
  replyMs: number;
  /** How long all commands of the connection may wait, added up. */
  totalMs: number;
  /** How long the connection may last from start(), replies or not. */
  wallMs: number;
  /** Called once when a limit is reached, with the one that was reached first. */
  onExpired(which: Limit): void;
}

type Limit = 'command' | 'reply' | 'total' | 'wall';

/**
 * The commands whose reply waits for the caller (digits, or a prompt the
 * caller may cut short) or for a playback. By their first two words, as the
 * session reports them; every other command gets the short reply limit, so
 * one this list forgets is closed early, never held open long.
 */
const WAITS_FOR_CALLER: ReadonlySet<string> = new Set(['GET DATA', 'STREAM FILE', 'SAY DIGITS', 'SAY NUMBER', 'WAIT FOR']);

export class AnswerWatch {
  /** What the session tells when Asterisk starts and stops owing a reply. */
  readonly observer: AgiSessionObserver = {
    onCommandWritten: (verb) => {
      this.owed = true;
      this.waitsForCaller = WAITS_FOR_CALLER.has(verb);
      this.arm();
    },
    onReplyComplete: () => {
      this.owed = false;
      this.stop();
    },
  };
  private limits: AnswerLimits | null = null;
  private owed = false;
  private waitsForCaller = false;
  private spentMs = 0;
  private since = 0;
  private timer: NodeJS.Timeout | undefined;
  private wallTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket) {
    socket.once('close', () => {
      this.limits = null;
      this.stop();
      clearTimeout(this.wallTimer);
    });
  }

  /** Starts watching; call it once the agi_ header is read, before the first command. */
  start(limits: AnswerLimits): void {
    if (this.limits || this.wallTimer) return;
    this.limits = limits;
    this.wallTimer = setTimeout(() => this.expire('wall'), limits.wallMs);
    if (this.owed) this.arm();
  }

  private arm(): void {
    const limits = this.limits;
    if (!limits || this.timer) return;
    this.since = Date.now();
    const leftMs = Math.max(0, limits.totalMs - this.spentMs);
    const [own, ownMs] = this.waitsForCaller ? (['command', limits.commandMs] as const) : (['reply', limits.replyMs] as const);
    const which = ownMs < leftMs ? own : 'total';
    this.timer = setTimeout(() => this.expire(which), Math.min(ownMs, leftMs));
  }

  private stop(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.spentMs += Date.now() - this.since;
  }

  private expire(which: Limit): void {
    const limits = this.limits;
    if (!limits) return;
    this.limits = null;
    this.stop();
    clearTimeout(this.wallTimer);
    limits.onExpired(which);
  }
}
