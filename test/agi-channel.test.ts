import { describe, expect, it } from 'vitest';
import { HangupError } from '../src/call/channel.js';
import { AgiProtocolError } from '../src/agi/errors.js';
import { AgiChannel } from '../src/agi/agi-channel.js';
import { parseAgiEnvironment } from '../src/agi/env.js';
import { connect } from './helpers/in-memory-session.js';

/** Answers each command line with what `answer` returns; null leaves it unanswered. */
async function channelWith(answer: (command: string) => string | null) {
  const {
    session,
    written: commands,
    toSession,
  } = connect(undefined, (line, say) => {
    const reply = answer(line);
    if (reply !== null) setImmediate(() => say(`${reply}\n`));
  });
  toSession.write('agi_channel: PJSIP/1001-1\nagi_uniqueid: 1.1\nagi_callerid: 1001\n\n');
  let closed = 0;
  const info = await session.readEnvironment();
  const channel = new AgiChannel(session, info, { onClose: () => closed++ });
  return { channel, session, commands, closes: () => closed, hangUpInput: () => toSession.end() };
}

/** A channel on which every command succeeds; CHANNEL STATUS answers `status`. */
const live =
  (status = '6') =>
  (command: string) =>
    command === 'CHANNEL STATUS' ? `200 result=${status}` : command.startsWith('STREAM FILE') ? '200 result=0 endpos=8000' : '200 result=1';

describe('AgiChannel', () => {
  it('exposes the CallInfo it was given', async () => {
    const { channel } = await channelWith(live());
    expect(channel.info).toEqual(parseAgiEnvironment(['agi_channel: PJSIP/1001-1', 'agi_uniqueid: 1.1', 'agi_callerid: 1001']));
  });

  it('answers a ringing channel', async () => {
    const { channel, commands } = await channelWith((c) => (c === 'ANSWER' ? '200 result=0' : live('4')(c)));
    await channel.answer();
    expect(commands).toEqual(['CHANNEL STATUS', 'ANSWER']);
  });

  it('does not answer a channel that is already up', async () => {
    const { channel, commands } = await channelWith(live('6'));
    await channel.answer();
    expect(commands).toEqual(['CHANNEL STATUS']);
  });

  it('collects digits with GET DATA', async () => {
    const replies = ['200 result=1001', '200 result=12 (timeout)', '200 result= (timeout)'];
    const { channel, commands } = await channelWith(() => replies.shift() ?? null);
    await expect(channel.getDigits('astotp/enter-id', 5000, 8)).resolves.toEqual({ digits: '1001', timedOut: false });
    await expect(channel.getDigits('astotp/enter-id', 5000, 8)).resolves.toEqual({ digits: '12', timedOut: true });
    await expect(channel.getDigits('astotp/enter-id', 5000, 8)).resolves.toEqual({ digits: '', timedOut: true });
    expect(commands[0]).toBe('GET DATA "astotp/enter-id" 5000 8');
  });

  it('takes GET DATA result=-1 as a hangup', async () => {
    const { channel } = await channelWith(() => '200 result=-1');
    await expect(channel.getDigits('p', 5000, 6)).rejects.toBeInstanceOf(HangupError);
  });

  it('does not repeat unexpected GET DATA results in its error', async () => {
    const { channel } = await channelWith(() => '200 result=12x456');
    const error = await channel.getDigits('p', 5000, 6).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgiProtocolError);
    expect((error as Error).message).not.toContain('12x456');
  });

  it('plays a sound with STREAM FILE and no escape digits', async () => {
    const { channel, commands } = await channelWith(live());
    await channel.play('astotp/welcome');
    expect(commands).toEqual(['STREAM FILE "astotp/welcome" ""']);
  });

  it('logs a missing sound and goes on when the channel is still up', async () => {
    const { channel, commands } = await channelWith((c) => (c.startsWith('STREAM FILE') ? '200 result=-1 endpos=0' : live()(c)));
    await channel.play('astotp/nope');
    expect(commands).toEqual([
      'STREAM FILE "astotp/nope" ""',
      'CHANNEL STATUS',
      'VERBOSE "astotp: sound astotp/nope could not be played (missing?)" 1',
    ]);
  });

  it('takes STREAM FILE result=-1 as a hangup when the channel is dead', async () => {
    const { channel } = await channelWith((c) =>
      c.startsWith('STREAM FILE') ? '200 result=-1 endpos=0' : '511 Command Not Permitted on a dead channel or intercept routine',
    );
    await expect(channel.play('astotp/welcome')).rejects.toBeInstanceOf(HangupError);
  });

  it('sets variables and logs with safe quoting', async () => {
    const { channel, commands } = await channelWith(live());
    await channel.setVariable('ASTOTP_ERROR', 'bad "x"\nANSWER');
    await channel.log('user 1001 locked', 3);
    expect(commands).toEqual([`SET VARIABLE ASTOTP_ERROR "bad 'x' ANSWER"`, 'VERBOSE "astotp: user 1001 locked" 3']);
    await expect(channel.setVariable('A B', 'x')).rejects.toBeInstanceOf(AgiProtocolError);
    await expect(channel.setVariable('CDR(userfield)', 'x')).rejects.toBeInstanceOf(AgiProtocolError);
  });

  describe('after a hangup', () => {
    it('refuses live-channel commands at once, sending nothing', async () => {
      const { channel, session, commands } = await channelWith(live());
      session.markHungUp('SIGHUP');
      await expect(channel.answer()).rejects.toBeInstanceOf(HangupError);
      await expect(channel.getDigits('p', 5000, 6)).rejects.toBeInstanceOf(HangupError);
      await expect(channel.play('p')).rejects.toBeInstanceOf(HangupError);
      expect(commands).toEqual([]);
    });

    it('still sets variables and logs on the dead channel', async () => {
      const { channel, session, commands } = await channelWith(live());
      session.markHungUp('SIGHUP');
      await channel.setVariable('ASTOTP_REASON', 'hangup');
      await channel.log('caller hung up');
      expect(commands).toEqual(['SET VARIABLE ASTOTP_REASON "hangup"', 'VERBOSE "astotp: caller hung up" 1']);
    });

    it('gives up on an unanswered variable, reporting the hangup, and never throws from log', async () => {
      const { channel, session, commands } = await channelWith(() => null);
      session.markHungUp('SIGHUP');
      await expect(channel.setVariable('ASTOTP_REASON', 'hangup')).rejects.toBeInstanceOf(HangupError);
      await expect(channel.log('caller hung up')).resolves.toBeUndefined();
      expect(commands).toEqual(['SET VARIABLE ASTOTP_REASON "hangup"']);
    });

    it('reports a variable it could not send once the input is gone; log never throws', async () => {
      const { channel, hangUpInput, commands } = await channelWith(live());
      hangUpInput();
      await new Promise((r) => setImmediate(r));
      await expect(channel.setVariable('ASTOTP_REASON', 'hangup')).rejects.toBeInstanceOf(HangupError);
      await expect(channel.setVariable('bad name', 'x')).rejects.toBeInstanceOf(AgiProtocolError);
      await expect(channel.log('bye')).resolves.toBeUndefined();
      expect(commands).toEqual([]);
    });
  });

  it('reports a hangup discovered by setVariable on a live channel', async () => {
    const { channel, hangUpInput } = await channelWith(() => null);
    const pending = channel.setVariable('ASTOTP', 'FAILURE');
    hangUpInput();
    await expect(pending).rejects.toBeInstanceOf(HangupError);
  });

  it('closes once, then refuses calls', async () => {
    const { channel, closes, commands } = await channelWith(live());
    await channel.close();
    await channel.close();
    expect(closes()).toBe(1);
    await expect(channel.getDigits('p', 5000, 6)).rejects.toBeInstanceOf(HangupError);
    await expect(channel.setVariable('A', '1')).rejects.toBeInstanceOf(HangupError);
    expect(commands).toEqual([]);
  });

  it('takes result=-1 to SET VARIABLE as a hangup: the variable is not known to be set', async () => {
    const { channel, session } = await channelWith(() => '200 result=-1');
    await expect(channel.setVariable('ASTOTP', 'SUCCESS')).rejects.toBeInstanceOf(HangupError);
    expect(session.hungUp).not.toBeNull();
  });
});

describe('AgiChannel speaking with escape keys', () => {
  it('says files, digits and numbers, returning the key that stopped them', async () => {
    const replies = ['200 result=0 endpos=8000', '200 result=42', '200 result=55'];
    const { channel, commands } = await channelWith(() => replies.shift() ?? null);
    await expect(channel.speak({ file: 'otp/astotp-group' }, '*#0123456789')).resolves.toBe('');
    await expect(channel.speak({ digits: '0436113' }, '*#0123456789')).resolves.toBe('*');
    await expect(channel.speak({ number: 13 }, '*7')).resolves.toBe('7');
    expect(commands).toEqual(['STREAM FILE "otp/astotp-group" "*#0123456789"', 'SAY DIGITS 0436113 "*#0123456789"', 'SAY NUMBER 13 "*7"']);
  });

  it('refuses a key it did not ask to stop for, and anything that is not a key', async () => {
    const replies = ['200 result=49', '200 result=300'];
    const { channel } = await channelWith(() => replies.shift() ?? null);
    await expect(channel.speak({ digits: '12' }, '*')).rejects.toThrow(AgiProtocolError);
    await expect(channel.speak({ digits: '12' }, '*')).rejects.toThrow(/not a key|other than a key/);
  });

  it('refuses what SAY DIGITS or SAY NUMBER could not say', async () => {
    const { channel, commands } = await channelWith(live());
    await expect(channel.speak({ digits: '12 3' }, '')).rejects.toThrow(RangeError);
    await expect(channel.speak({ number: -1 }, '')).rejects.toThrow(RangeError);
    await expect(channel.speak({ digits: '1' }, '"')).rejects.toThrow(RangeError);
    expect(commands).toEqual([]);
  });

  it('tells a hangup from a sound that would not play when the result is -1', async () => {
    const up = await channelWith((c) =>
      c === 'CHANNEL STATUS' ? '200 result=6' : c.startsWith('VERBOSE') ? '200 result=1' : '200 result=-1',
    );
    await expect(up.channel.speak({ digits: '123' }, '*')).resolves.toBe('');
    expect(up.commands.slice(0, 2)).toEqual(['SAY DIGITS 123 "*"', 'CHANNEL STATUS']);
    const gone = await channelWith((c) => (c === 'CHANNEL STATUS' ? '200 result=-1' : '200 result=-1'));
    await expect(gone.channel.speak({ digits: '123' }, '*')).rejects.toThrow(HangupError);
  });

  it('waits for one key: its character, nothing on a timeout, a hangup on -1', async () => {
    const replies = ['200 result=35', '200 result=0', '200 result=-1'];
    const { channel, commands } = await channelWith(() => replies.shift() ?? null);
    await expect(channel.waitForKey(60000)).resolves.toBe('#');
    await expect(channel.waitForKey(60000)).resolves.toBe('');
    await expect(channel.waitForKey(60000)).rejects.toThrow(HangupError);
    expect(commands).toEqual(['WAIT FOR DIGIT 60000', 'WAIT FOR DIGIT 60000', 'WAIT FOR DIGIT 60000']);
  });

  it('sends text, and says whether Asterisk took it', async () => {
    const replies = ['200 result=0', '200 result=-1'];
    const { channel, commands } = await channelWith(() => replies.shift() ?? null);
    await expect(channel.sendText('https://auth.example/dev/pbx/1001/abc')).resolves.toBe(true);
    await expect(channel.sendText('x')).resolves.toBe(false);
    await expect(channel.sendText('a "quoted" text')).rejects.toThrow(AgiProtocolError);
    expect(commands).toEqual(['SEND TEXT "https://auth.example/dev/pbx/1001/abc"', 'SEND TEXT "x"']);
  });
});
