// One FastAGI call on one TCP connection: the same steps as a classic AGI
// call (ASTOTP=FAILURE first, then the flow), over the socket Asterisk opened.
// Whatever happens on this connection ends here: nothing it does may throw
// into the server, which serves every other call meanwhile.
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { AgiChannel } from '../agi/agi-channel.js';
import { sanitizeText } from '../agi/quote.js';
import { AgiSession } from '../agi/session.js';
import { HangupError, type CallInfo } from '../call/channel.js';
import { report, runCall } from '../call/run-call.js';
import { applyCallArguments, type Settings } from '../config/settings.js';
import { readRequest } from './request.js';
import type { SharedAuth } from './shared-auth.js';

export interface ConnectionContext {
  /** Settings before each call's own arguments. */
  settings: Settings;
  auth: SharedAuth;
  /** How long Asterisk may leave a command unanswered; null: the call's longest prompt timeout plus IDLE_MARGIN_MS. */
  idleTimeoutMs: number | null;
  /** How long Asterisk has to send the agi_ header after connecting. */
  headerTimeoutMs: number;
  log(line: string): void;
}

/** Room for prompts being played before a GET DATA's own timeout starts. */
export const IDLE_MARGIN_MS = 30_000;
/** A refusal is a few short commands; Asterisk answers them at once. */
const BUSY_IDLE_MS = 5_000;
/** After our FIN, how long Asterisk gets to close its side. */
const LINGER_MS = 2_000;

/** Serves one call; resolves when it is over, never rejects. */
export async function serveCall(socket: Socket, ctx: ConnectionContext): Promise<void> {
  const peer = prepare(socket);
  const answers = new AnswerWatch(socket);
  const session = new AgiSession(socket, answers.output);
  let info: CallInfo;
  try {
    info = await session.readEnvironment({ deadlineMs: ctx.headerTimeoutMs });
  } catch (err) {
    ctx.log(`connection from ${peer}: no AGI request (${oneLine(err)})`);
    session.close();
    socket.destroy();
    return;
  }
  const request = readRequest(info);
  const channel = new AgiChannel(session, { ...info, args: request.args }, { onClose: () => hangUpSocket(socket) });
  const label = callLabel(info, peer);
  answers.start(ctx.idleTimeoutMs ?? idleLimitMs(ctx.settings, request.args), () => {
    ctx.log(`${label}: Asterisk left a command unanswered for too long, closing`);
    socket.destroy();
  });
  let result: string | undefined;
  try {
    // As in classic AGI: before anything can go wrong, the dialplan reads FAILURE.
    await channel.setVariable('ASTOTP', 'FAILURE');
    if (request.problem) {
      result = `FAILURE (error: ${request.problem})`;
      await refuse(channel, request.problem);
    } else {
      let auth;
      try {
        auth = ctx.auth.get();
      } catch {
        // Not shared: runCall opens the database itself, fails the same way and reports it as a classic call would.
        auth = undefined;
      }
      const o = await runCall(channel, { source: 'fastagi', settings: () => ctx.settings, ...(auth ? { auth } : {}) });
      result = o.ok ? `SUCCESS for user ${safe(o.user ?? '')}` : `FAILURE (${o.reason}${o.error ? `: ${safe(o.error)}` : ''})`;
    }
  } catch (err) {
    result ??= err instanceof HangupError ? 'FAILURE (hangup)' : `FAILURE (error: ${oneLine(err)})`;
  } finally {
    await channel.close();
  }
  ctx.log(`${label}: ${result}`);
}

/** Beyond the session limit: the dialplan still gets FAILURE, with a reason the admin can act on. */
export async function refuseBusy(socket: Socket, ctx: ConnectionContext, limit: number): Promise<void> {
  const peer = prepare(socket);
  socket.setTimeout(BUSY_IDLE_MS, () => socket.destroy());
  const session = new AgiSession(socket, socket);
  let channel: AgiChannel | null = null;
  try {
    const info = await session.readEnvironment({ deadlineMs: Math.min(ctx.headerTimeoutMs, BUSY_IDLE_MS) });
    channel = new AgiChannel(session, info, { onClose: () => hangUpSocket(socket) });
    ctx.log(`${callLabel(info, peer)}: FAILURE (busy: ${limit} calls in progress)`);
    await channel.setVariable('ASTOTP', 'FAILURE');
    await refuse(channel, `busy: the FastAGI server already serves ${limit} calls (serve-agi --max-sessions)`);
  } catch {
    // Asterisk went away first; there is nobody left to tell.
  } finally {
    if (channel) await channel.close();
    else {
      session.close();
      socket.destroy();
    }
  }
}

/** Reported as runCall reports a call that ends in an error. */
async function refuse(channel: AgiChannel, error: string): Promise<void> {
  await report(channel, { ok: false, reason: 'error', user: null, error });
}

/** How long a call may go without a word from Asterisk: its longest wait for the caller, plus the prompts. */
export function idleLimitMs(base: Settings, args: string[]): number {
  let s = base;
  try {
    s = applyCallArguments(base, args);
  } catch {
    // The call will fail on these arguments anyway; the base settings bound it until then.
  }
  const waits = [s.idTimeoutMs, s.pinTimeoutMs, s.codeTimeoutMs, ...(s.mode === 'pbotp' ? [s.pbotpTimeoutMs] : [])];
  return Math.max(...waits) + IDLE_MARGIN_MS;
}

/**
 * The idle limit counts only the time Asterisk owes an answer: from a command
 * written until its reply line is complete. Time the server spends itself
 * (PIN hashes queued behind hundreds of others) never closes a call.
 */
class AnswerWatch {
  /** What the session writes commands to: the socket, with the clock started. */
  readonly output: Writable;
  private timer: NodeJS.Timeout | undefined;
  private limit: { ms: number; onIdle: () => void } | null = null;

  constructor(socket: Socket) {
    this.output = new Writable({
      decodeStrings: false,
      write: (chunk: string | Buffer, _encoding, callback) => {
        this.arm();
        socket.write(chunk, (err) => callback(err ?? null));
      },
    });
    // A reply may arrive in pieces: only a complete line ends the wait.
    socket.on('data', (chunk: Buffer) => (chunk[chunk.length - 1] === 0x0a ? this.disarm() : this.arm()));
    socket.on('close', () => {
      this.disarm();
      this.output.destroy();
    });
  }

  start(ms: number, onIdle: () => void): void {
    this.limit = { ms, onIdle };
  }

  private arm(): void {
    this.disarm();
    if (this.limit) this.timer = setTimeout(this.limit.onIdle, this.limit.ms);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function prepare(socket: Socket): string {
  // Commands are single short lines, each waiting for its answer: Nagle's
  // algorithm would only add delay.
  socket.setNoDelay(true);
  // A reset connection is a hangup, handled by the session; never a crash.
  socket.on('error', () => {});
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function hangUpSocket(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function callLabel(info: CallInfo, peer: string): string {
  const who = info.callerId ? ` from ${safe(info.callerId)}` : '';
  return `call ${safe(info.uniqueId || '?')} ${safe(info.channel || '?')}${who} (${peer})`;
}

/** Header values come from the caller's side (caller ID): they must not forge log lines. */
function safe(text: string): string {
  return sanitizeText(text).slice(0, 120);
}

function oneLine(err: unknown): string {
  return safe((err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' '));
}
