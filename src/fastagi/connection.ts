// One FastAGI call on one TCP connection: the same steps as a classic AGI
// call (ASTOTP=FAILURE first, then the flow), over the socket Asterisk opened.
// Whatever happens on this connection ends here: nothing it does may throw
// into the server, which serves every other call meanwhile.
import type { Socket } from 'node:net';
import { AgiChannel } from '../agi/agi-channel.js';
import { sanitizeText } from '../agi/quote.js';
import type { AgiEnvironment } from '../agi/env.js';
import { AgiSession } from '../agi/session.js';
import { serveCall } from '../call/serve-call.js';
import type { Settings } from '../config/settings.js';
import { AnswerWatch } from './answer-watch.js';
import { callLimitMs, callSettings, idleLimitMs, wallLimitMs } from './call-limits.js';
import { type FastAgiRequest, readRequest } from './request.js';
import type { PbxSecret } from './pbx-secret.js';
import type { SharedAuth } from './shared-auth.js';
import { errorMessage } from '../text/error-message.js';

export interface ConnectionContext {
  /** Settings before each call's own arguments. */
  settings: Settings;
  auth: SharedAuth;
  /** How long Asterisk may leave a prompt unanswered; null: the call's longest prompt timeout plus IDLE_MARGIN_MS. */
  idleTimeoutMs: number | null;
  /** How long Asterisk may take to answer a command that does not wait for the caller (SET VARIABLE, ANSWER…). */
  replyTimeoutMs: number;
  /** How long Asterisk may take to answer all of a call's commands; null: from the call's timeouts and tries. */
  callTimeoutMs: number | null;
  /** What a request must carry in its path to become a call; null: any request may (no --secret-file). */
  secret: PbxSecret | null;
  /** How long Asterisk has to send the agi_ header after connecting, and to answer a busy refusal. */
  headerTimeoutMs: number;
  log(line: string): void;
}

/** A connection whose agi_ header is complete: a call, or one to refuse. */
export interface OpenConnection {
  socket: Socket;
  peer: string;
  session: AgiSession;
  answers: AnswerWatch;
  info: AgiEnvironment;
  request: FastAgiRequest;
}

/** A connection closed before its header was complete, and why. */
export interface NoRequest {
  peer: string;
  why: string;
}

/** Far more than Asterisk's header; a connection may not fill memory before it is a call. */
const MAX_HEADER_BYTES = 65_536;
/** After our FIN, how long Asterisk gets to close its side. */
const LINGER_MS = 2_000;
/** Idle time before the first TCP keepalive probe. */
const KEEPALIVE_MS = 30_000;

/** Reads the agi_ header within the header deadline; without one, closes the connection and says why. */
export async function openConnection(socket: Socket, ctx: ConnectionContext): Promise<OpenConnection | NoRequest> {
  const peer = prepare(socket);
  const answers = new AnswerWatch(socket);
  const session = new AgiSession(socket, socket, { observer: answers.observer });
  let received = 0;
  const countHeader = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > MAX_HEADER_BYTES) socket.destroy();
  };
  socket.on('data', countHeader);
  const tooLarge = `more than ${MAX_HEADER_BYTES} bytes of header`;
  let why: string;
  try {
    const info = await session.readEnvironment({ deadlineMs: ctx.headerTimeoutMs });
    // The header may have ended in the very chunk that crossed the bound.
    if (received <= MAX_HEADER_BYTES) return { socket, peer, session, answers, info, request: readRequest(info) };
    why = tooLarge;
  } catch (err) {
    why = received > MAX_HEADER_BYTES ? tooLarge : oneLine(err);
  } finally {
    socket.off('data', countHeader);
  }
  session.close();
  socket.destroy();
  return { peer, why };
}

/** Serves one call; resolves when it is over, never rejects. */
export async function serveConnection(c: OpenConnection, ctx: ConnectionContext): Promise<void> {
  const { socket, session, answers, info, request } = c;
  const channel = new AgiChannel(session, { ...info, args: request.args }, { onClose: () => hangUpSocket(socket) });
  const label = callLabel(info, c.peer);
  const limits = callSettings(ctx.settings, request.args);
  const commandMs = ctx.idleTimeoutMs ?? idleLimitMs(limits);
  const totalMs = ctx.callTimeoutMs ?? callLimitMs(limits);
  const wallMs = wallLimitMs(limits, totalMs);
  const expired = {
    command: 'Asterisk left a prompt unanswered for too long',
    reply: `Asterisk took more than ${seconds(ctx.replyTimeoutMs)} s to answer a command that does not wait for the caller`,
    total: `Asterisk took more than ${seconds(totalMs)} s in all to answer this call`,
    wall: `the call has lasted more than ${seconds(wallMs)} s`,
  };
  answers.start({
    commandMs,
    replyMs: ctx.replyTimeoutMs,
    totalMs,
    wallMs,
    onExpired: (which) => {
      ctx.log(`${label}: ${expired[which]}, closing`);
      socket.destroy();
    },
  });
  // Without a secret of its own the server cannot tell a secret from a typo: refused, and never shown.
  const problem =
    request.problem ??
    (request.secret !== null && !ctx.secret
      ? `script path "${request.script}/..." is not served here: a path below ${request.script}/ is for serve-agi --secret-file`
      : null);
  const o = await serveCall(channel, { source: 'fastagi', refusal: problem, settings: () => ctx.settings, auth: () => ctx.auth.get() });
  // A refusal's words are the server's own; the flow's may hold what the caller's side sent.
  const error = o.ok || o.error === null ? null : o.error === problem ? problem : safe(o.error);
  const result = o.ok ? `SUCCESS for user ${safe(o.user)}` : `FAILURE (${o.reason}${error ? `: ${error}` : ''})`;
  ctx.log(`${label}: ${result}`);
}

/**
 * Beyond the session limit: the dialplan still gets FAILURE, with a reason the
 * admin can act on. Asterisk answers these few commands at once, so they get
 * the header's deadline, in all: a peer that answers slowly is not told.
 */
export async function refuseBusy(c: OpenConnection, ctx: ConnectionContext, limit: number): Promise<void> {
  const { socket, session, answers, info } = c;
  const channel = new AgiChannel(session, info, { onClose: () => hangUpSocket(socket) });
  const limitMs = ctx.headerTimeoutMs;
  // Its few commands cost the server nothing: twice the answers' time is plenty.
  answers.start({ commandMs: limitMs, replyMs: limitMs, totalMs: limitMs, wallMs: 2 * limitMs, onExpired: () => socket.destroy() });
  ctx.log(`${callLabel(info, c.peer)}: FAILURE (busy: ${limit} call${limit === 1 ? '' : 's'} in progress)`);
  await serveCall(channel, {
    source: 'fastagi',
    refusal: `busy: the FastAGI server already serves ${limit} call${limit === 1 ? '' : 's'} (serve-agi --max-sessions)`,
  });
}

function prepare(socket: Socket): string {
  // Commands are single short lines, each waiting for its answer: Nagle's
  // algorithm would only add delay.
  socket.setNoDelay(true);
  // A peer gone without a word (power cut, dropped route) is found even while
  // no command is waiting for it, so its connection does not linger.
  socket.setKeepAlive(true, KEEPALIVE_MS);
  // A reset connection is a hangup, handled by the session; never a crash.
  socket.on('error', () => {});
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function hangUpSocket(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function callLabel(info: AgiEnvironment, peer: string): string {
  const who = info.callerId ? ` from ${safe(info.callerId)}` : '';
  return `call ${safe(info.uniqueId || '?')} ${safe(info.channel || '?')}${who} (${peer})`;
}

/** Header values come from the caller's side (caller ID): they must not forge log lines. */
function safe(text: string): string {
  return sanitizeText(text).slice(0, 120);
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

function oneLine(err: unknown): string {
  return safe(errorMessage(err).replace(/\s+/g, ' '));
}
