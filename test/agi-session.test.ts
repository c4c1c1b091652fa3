import { describe, expect, it } from 'vitest';
import { AgiDeadlineError, AgiHangupError, AgiProtocolError } from '../src/agi/errors.js';
import type { AgiSessionOptions } from '../src/agi/session.js';
import { connect } from './helpers/in-memory-session.js';

const HEADER =
  'agi_request: otp/astotp\nagi_channel: PJSIP/1001-00000001\nagi_uniqueid: 1700000000.1\nagi_callerid: 1001\nagi_arg_1: login\n\n';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function ready(options?: AgiSessionOptions) {
  const peer = connect(options);
  peer.say(HEADER);
  await peer.session.readEnvironment();
  return peer;
}

describe('AgiSession', () => {
  it('reads the header into CallInfo', async () => {
    const { session, say } = connect();
    say('agi_channel: PJSIP/1001-00000001\r\nagi_uniqueid: 1.2\r\nagi_callerid: 1001\r\n');
    say('agi_arg_1: login\r\n\r\n');
    const info = await session.readEnvironment();
    expect(info).toMatchObject({ channel: 'PJSIP/1001-00000001', uniqueId: '1.2', callerId: '1001', args: ['login'] });
  });

  it('refuses a header from something that is not Asterisk', async () => {
    const { session, say } = connect();
    say('GET / HTTP/1.1\n\n');
    await expect(session.readEnvironment()).rejects.toBeInstanceOf(AgiProtocolError);
    await expect(session.command('ANSWER')).rejects.toBeInstanceOf(AgiProtocolError);
  });

  it('refuses a header cut short by EOF', async () => {
    const { session, say, toSession } = connect();
    say('agi_channel: PJSIP/1\n');
    toSession.end();
    await expect(session.readEnvironment()).rejects.toBeInstanceOf(AgiProtocolError);
  });

  it('gives up on a missing header after its deadline', async () => {
    const { session } = connect();
    await expect(session.readEnvironment({ deadlineMs: 20 })).rejects.toBeInstanceOf(AgiDeadlineError);
  });

  it('holds commands sent before the header until it is complete', async () => {
    const { session, written, say } = connect();
    const answered = session.command('ANSWER');
    await settle();
    expect(written).toEqual([]);
    say(HEADER);
    await settle();
    expect(written).toEqual(['ANSWER']);
    say('200 result=0\n');
    await expect(answered).resolves.toEqual({ code: 200, result: '0' });
  });

  it('never writes a command while a reply is pending', async () => {
    const { session, written, say } = await ready();
    const first = session.command('GET DATA "astotp/enter-id" 5000 8');
    const second = session.command('SET VARIABLE ASTOTP_USER "1001"');
    await settle();
    await new Promise((r) => setTimeout(r, 30));
    expect(written).toEqual(['GET DATA "astotp/enter-id" 5000 8']);
    say('200 result=1001\n');
    await expect(first).resolves.toEqual({ code: 200, result: '1001' });
    await settle();
    expect(written).toEqual(['GET DATA "astotp/enter-id" 5000 8', 'SET VARIABLE ASTOTP_USER "1001"']);
    say('200 result=1\r\n');
    await expect(second).resolves.toEqual({ code: 200, result: '1' });
  });

  it('refuses a command text with a line break, writing nothing', async () => {
    const { session, written } = await ready();
    await expect(session.command('VERBOSE "x"\nANSWER')).rejects.toBeInstanceOf(AgiProtocolError);
    await expect(session.command('VERBOSE "x"\rANSWER')).rejects.toBeInstanceOf(AgiProtocolError);
    await settle();
    expect(written).toEqual([]);
  });

  it('turns EOF into AgiHangupError for the pending command and every later one', async () => {
    const { session, say, toSession } = await ready();
    const pending = session.command('GET DATA "p" 5000 8');
    await settle();
    say('200 resu');
    toSession.end();
    await expect(pending).rejects.toBeInstanceOf(AgiHangupError);
    await expect(session.command('SET VARIABLE A "1"', { allowedWhenHungUp: true })).rejects.toBeInstanceOf(AgiHangupError);
    expect(session.ended).toBe(true);
  });

  it('turns a 511 into AgiHangupError and refuses live-channel commands afterwards', async () => {
    const { session, written, say } = await ready();
    const pending = session.command('STREAM FILE "p" ""');
    await settle();
    say('511 Command Not Permitted on a dead channel or intercept routine\n');
    await expect(pending).rejects.toBeInstanceOf(AgiHangupError);
    expect(session.hungUp).toBe('511');
    await expect(session.command('GET DATA "p" 5000 8')).rejects.toBeInstanceOf(AgiHangupError);
    await settle();
    expect(written).toEqual(['STREAM FILE "p" ""']);
  });

  it('on a HANGUP line fails the pending command but waits for its reply before sending more', async () => {
    const { session, written, say } = await ready();
    const pending = session.command('GET DATA "p" 5000 8');
    await settle();
    say('HANGUP\n');
    await expect(pending).rejects.toBeInstanceOf(AgiHangupError);
    const variable = session.command('SET VARIABLE ASTOTP_REASON "hangup"', { allowedWhenHungUp: true });
    await settle();
    expect(written).toEqual(['GET DATA "p" 5000 8']);
    say('200 result=-1\n');
    await settle();
    expect(written).toEqual(['GET DATA "p" 5000 8', 'SET VARIABLE ASTOTP_REASON "hangup"']);
    say('200 result=1\n');
    await expect(variable).resolves.toEqual({ code: 200, result: '1' });
  });

  it('after markHungUp, refuses live commands at once and bounds dead-channel ones', async () => {
    const { session, written, say } = await ready({ afterHangupDeadlineMs: 50 });
    const pending = session.command('GET DATA "p" 5000 8');
    await settle();
    session.markHungUp('SIGHUP');
    await expect(pending).rejects.toThrow(/SIGHUP/);
    await expect(session.command('ANSWER')).rejects.toBeInstanceOf(AgiHangupError);
    // The GET DATA reply never comes: the variable is never written, and fails on time.
    await expect(session.command('SET VARIABLE A "1"', { allowedWhenHungUp: true })).rejects.toBeInstanceOf(AgiDeadlineError);
    expect(written).toEqual(['GET DATA "p" 5000 8']);
    say('200 result=-1\n');
    const late = session.command('VERBOSE "astotp: bye" 1', { allowedWhenHungUp: true });
    await settle();
    expect(written).toEqual(['GET DATA "p" 5000 8', 'VERBOSE "astotp: bye" 1']);
    say('200 result=1\n');
    await expect(late).resolves.toMatchObject({ code: 200 });
  });

  it('lets a dead-channel command already in flight at the hangup get its reply', async () => {
    const { session, say } = await ready();
    const variable = session.command('SET VARIABLE A "1"', { allowedWhenHungUp: true });
    await settle();
    session.markHungUp('SIGHUP');
    say('200 result=1\n');
    await expect(variable).resolves.toEqual({ code: 200, result: '1' });
  });

  it('matches a late reply to its own command after a deadline', async () => {
    const { session, written, say } = await ready();
    const slow = session.command('CHANNEL STATUS', { deadlineMs: 20 });
    await expect(slow).rejects.toBeInstanceOf(AgiDeadlineError);
    const next = session.command('GET DATA "p" 5000 8');
    await settle();
    expect(written).toEqual(['CHANNEL STATUS']);
    say('200 result=6\n');
    await settle();
    expect(written).toEqual(['CHANNEL STATUS', 'GET DATA "p" 5000 8']);
    say('200 result=42\n');
    await expect(next).resolves.toEqual({ code: 200, result: '42' });
  });

  it('returns a multi-line 520 as one reply', async () => {
    const { session, say } = await ready();
    const pending = session.command('GET DATA');
    await settle();
    say('520-Invalid command syntax.  Proper usage follows:\n Usage: GET DATA <file>\n520 End of proper usage.\n');
    await expect(pending).resolves.toEqual({ code: 520, result: '', message: ' Usage: GET DATA <file>' });
  });

  it('fails closed on a garbage reply without repeating it', async () => {
    const { session, say } = await ready();
    const pending = session.command('GET DATA "p" 5000 6');
    await settle();
    say('200 result=123456 (timeout\n');
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgiProtocolError);
    expect(String((error as Error).message)).not.toContain('123456');
    await expect(session.command('SET VARIABLE A "1"', { allowedWhenHungUp: true })).rejects.toBeInstanceOf(AgiProtocolError);
  });

  it('fails closed on a reply holding a NUL or bytes that are not UTF-8', async () => {
    for (const bad of [[0x00], [0xff], [0xc3]]) {
      const { session, toSession } = await ready();
      const pending = session.command('SET VARIABLE ASTOTP "FAILURE"', { allowedWhenHungUp: true });
      await settle();
      toSession.write(Buffer.concat([Buffer.from('200 result=1'), Buffer.from(bad), Buffer.from('\n')]));
      await expect(pending).rejects.toBeInstanceOf(AgiProtocolError);
      await expect(session.command('SET VARIABLE A "1"', { allowedWhenHungUp: true })).rejects.toBeInstanceOf(AgiProtocolError);
    }
  });

  it('refuses a header line holding a NUL or bytes that are not UTF-8', async () => {
    for (const bad of [[0x00], [0xe9]]) {
      const { session, toSession } = connect();
      toSession.write(Buffer.concat([Buffer.from('agi_channel: PJSIP/1\nagi_calleridname: Ren'), Buffer.from(bad), Buffer.from('\n\n')]));
      await expect(session.readEnvironment()).rejects.toBeInstanceOf(AgiProtocolError);
      await expect(session.command('ANSWER')).rejects.toBeInstanceOf(AgiProtocolError);
    }
  });

  it('fails closed on an unsolicited reply', async () => {
    const { session, say } = await ready();
    say('200 result=0\n');
    await settle();
    await expect(session.command('ANSWER')).rejects.toBeInstanceOf(AgiProtocolError);
  });

  it('treats a broken output as a hangup', async () => {
    const { session, fromSession } = await ready();
    fromSession.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await settle();
    await expect(session.command('ANSWER')).rejects.toBeInstanceOf(AgiHangupError);
    expect(session.ended).toBe(true);
  });
});
