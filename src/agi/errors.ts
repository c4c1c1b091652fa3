// The AGI layer's own failures. The layers above never see these: the
// adapter (agi-channel.ts) turns a hangup into the call layer's HangupError,
// so the call flow stays independent of the transport.

type AgiErrorCode = 'hangup' | 'protocol' | 'deadline';

class AgiError extends Error {
  constructor(
    message: string,
    readonly code: AgiErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgiError';
  }
}

/** The caller hung up (SIGHUP, EOF, result=-1, 511, HANGUP line). */
export class AgiHangupError extends AgiError {
  constructor(readonly why: string) {
    super(`caller hung up (${why})`, 'hangup');
    this.name = 'AgiHangupError';
  }
}

/** The peer said something we cannot trust to understand. */
export class AgiProtocolError extends AgiError {
  constructor(message: string, code: 'protocol' | 'deadline' = 'protocol') {
    super(message, code);
    this.name = 'AgiProtocolError';
  }
}

/** A command got no reply (or could not be sent) before its deadline. */
export class AgiDeadlineError extends AgiProtocolError {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`, 'deadline');
    this.name = 'AgiDeadlineError';
  }
}
