// `astotp serve-agi` from the built bundle, driven over TCP by the scripted
// Asterisk as AGI(agi://host/otp) would: what the dialplan reads back in
// ASTOTP* is what matters, and the server must outlive every call.
import { chmodSync, chownSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult } from './helpers/asterisk-peer.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { fastAgiCall, RawPeer, type FastAgiCallOptions } from './helpers/fastagi-peer.js';
import { AGAIN, CODE, FAILED, ID, PIN } from './helpers/prompts.js';
import { AgiServer } from './helpers/serve-agi.js';
import { Site, totp, wrongCode } from './helpers/site.js';

const servers: AgiServer[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
});

/** A bare connection, closed after the test. */
async function rawPeer(server: AgiServer, localAddress?: string): Promise<RawPeer> {
  const peer = await RawPeer.open(server.port, localAddress);
  peers.push(peer);
  return peer;
}

async function serve(site: Site, args: string[] = []): Promise<AgiServer> {
  const server = await AgiServer.start(site.env, args);
  servers.push(server);
  return server;
}

function siteWithUser(conf: Record<string, string | number> = {}): Site {
  const site = new Site();
  site.config({ timeout: 5, ...conf });
  site.enroll('1001', '4321');
  return site;
}

const call = (server: AgiServer, opts: Omit<FastAgiCallOptions, 'port'> = {}): Promise<CallResult> =>
  fastAgiCall({ port: server.port, ...opts });

/** Resolves when check() holds; polls, for events seen only in the server's log. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A call input that types `digits` and tells the test the call has got that far. */
function typedAndSignal(digits: string): { input: { compute: () => string }; reached: Promise<void> } {
  let signal!: () => void;
  const reached = new Promise<void>((r) => (signal = r));
  return { input: { compute: () => (signal(), digits) }, reached };
}

const noSuccess = (r: CallResult) => r.setLog.every(([, v]) => v !== 'SUCCESS');

/** Adds up the server's lines about connections without an AGI request, single or counted, by reason. */
function countsByReason(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (why: string, n: number) => counts.set(why, (counts.get(why) ?? 0) + n);
  for (const line of lines) {
    const single = /: no AGI request \((.*)\)$/.exec(line);
    if (single) add(single[1]!, 1);
    for (const m of line.matchAll(/(\d+) × ([^;]+)/g)) add(m[2]!, Number(m[1]));
  }
  return counts;
}

describe('astotp serve-agi', () => {
  it('runs a successful call over TCP, setting FAILURE first and SUCCESS last, and logs it without secrets', async () => {
    const site = siteWithUser();
    const server = await serve(site);
    const code = totp();
    const r = await call(server, { inputs: ['1001', '4321', code] });
    expect(r.violations).toEqual([]);
    expect(r.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
    expect(r.prompts).toEqual([ID, PIN, CODE]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
    expect(r.setLog.at(-1)).toEqual(['ASTOTP', 'SUCCESS']);
    await until(() => server.log.includes('SUCCESS for user 1001'), 'the call in the log');
    const said = [...r.commands.filter((c) => !c.startsWith('GET DATA')), ...r.verbose, server.log].join('\n');
    expect(said).not.toContain('4321');
    expect(said).not.toContain(code);
    expect(server.log).toMatch(/call 1700000000\.1 PJSIP\/1001-00000001 from 1001 .*: SUCCESS for user 1001/);
    expect(site.cli(['log', '--json']).stdout).toMatch(/"source": ?"fastagi"/);
  });

  it('fails a wrong code with the same prompts as classic AGI', async () => {
    const server = await serve(siteWithUser());
    const r = await call(server, { inputs: ['1001', '4321', wrongCode(), '1001', '4321', wrongCode(), '1001', '4321', wrongCode()] });
    expect(r.prompts).toEqual([ID, PIN, CODE, AGAIN, ID, PIN, CODE, AGAIN, ID, PIN, CODE, FAILED]);
    expectFailedClosed(r, 'bad-credentials');
  });

  it('takes the dialplan arguments from the URL query and from AGI() arguments', async () => {
    const site = siteWithUser();
    site.config({ timeout: 5 }, { door: { ask_pin: 'no' } });
    const server = await serve(site);
    const byQuery = await call(server, { script: 'otp?user=1001', inputs: ['4321', totp()] });
    expect(byQuery.prompts).toEqual([PIN, CODE]);
    expect(byQuery.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    const byArgs = await call(server, {
      script: 'otp/astotp',
      args: ['profile=door', 'user=1001'],
      inputs: [wrongCode(), wrongCode(), wrongCode()],
    });
    expect(byArgs.prompts).toEqual([CODE, AGAIN, CODE, AGAIN, CODE, FAILED]);
    expect(byArgs.variables.ASTOTP_REASON).toBe('bad-credentials');
    // 1001's current code is used up by now.
    site.enroll('1002', '8765');
    const queryThenArgs = await call(server, { script: 'otp?profile=door', args: ['user=1002'], inputs: [totp()] });
    expect(queryThenArgs.prompts).toEqual([CODE]);
    expect(queryThenArgs.variables.ASTOTP).toBe('SUCCESS');
    const misspelt = await call(server, { args: ['pim=no'], inputs: ['1001', totp()] });
    expect(misspelt.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(misspelt.variables.ASTOTP_ERROR).toMatch(/unknown argument .pim.=/);
  });

  it('refuses what a caller ID adds to the URL query (agi://HOST/otp?user=${CALLERID(num)})', async () => {
    const site = siteWithUser();
    site.config({ timeout: 5 }, { door: { ask_pin: 'no' } });
    const server = await serve(site);
    for (const [script, callerId] of [
      ['otp?user=1001&pin=no', '1001'],
      ['otp?user=1001&profile=door', '1001'],
      ['otp?user=1001%26pin%3Dno', '1001'],
      ['otp?user=1001&pin=no', '1001&pin=no'],
    ] as const) {
      const r = await call(server, { script, agi: { agi_callerid: callerId }, inputs: ['4321', totp()] });
      expect(r.prompts).toEqual([]);
      expectFailedClosed(r, 'error');
    }
  });

  it('accepts a code only once, across two connections', async () => {
    const server = await serve(siteWithUser({ tries: 1 }));
    const code = totp();
    const first = await call(server, { inputs: ['1001', '4321', code] });
    const replay = await call(server, { inputs: ['1001', '4321', code] });
    expect(first.variables.ASTOTP).toBe('SUCCESS');
    expect(replay.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
  });

  it('refuses a script path it does not serve, before asking anything', async () => {
    const server = await serve(siteWithUser());
    for (const script of ['otp/other', 'astotp2', null]) {
      const r = await call(server, { script, inputs: ['1001', '4321', totp()] });
      expect(r.violations).toEqual([]);
      expect(r.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
      expect(r.prompts).toEqual([]);
      expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect(r.variables.ASTOTP_ERROR).toMatch(script === null ? /no script path/ : /not served here/);
    }
    await until(() => (server.log.match(/FAILURE \(error: /g) ?? []).length === 3, 'three refusals in the log');
    expect(server.log).toContain('script path "astotp2" is not served here');
    // Below otp/ may be a secret the dialplan passes to a server started without one: never shown.
    expect(server.log).toContain('script path "otp/..." is not served here');
    expect(server.log).not.toContain('other');
  });

  for (const how of ['sighup', 'result'] as const) {
    it(`ends the call with reason hangup on a HANGUP line mid-call (${how === 'sighup' ? 'before' : 'after'} the -1), and goes on serving`, async () => {
      const server = await serve(siteWithUser());
      const r = await call(server, { inputs: ['1001', { hangup: how }] });
      expectFailedClosed(r, 'hangup');
      // Once hung up, only what a dead channel accepts is sent.
      expect(r.deadCommands.every((c) => /^(SET VARIABLE|VERBOSE) /.test(c))).toBe(true);
      expect(r.msAfterHangup).toBeLessThan(1000);
      const next = await call(server, { inputs: ['1001', '4321', totp()] });
      expect(next.variables.ASTOTP).toBe('SUCCESS');
    });
  }

  for (const eof of ['end', 'drop'] as const) {
    it(`survives a client that ${eof === 'end' ? 'closes' : 'drops'} the connection during GET DATA`, async () => {
      const server = await serve(siteWithUser());
      const r = await call(server, { eof, inputs: ['1001', { hangup: 'eof' }] });
      expect(r.prompts).toEqual([ID, PIN]);
      expect(noSuccess(r)).toBe(true);
      await until(() => server.log.includes('FAILURE (hangup)'), 'the dropped call in the log');
      expect(server.child.exitCode).toBeNull();
      const next = await call(server, { inputs: ['1001', '4321', totp()] });
      expect(next.variables.ASTOTP).toBe('SUCCESS');
      expect(server.log).not.toMatch(/internal error/);
    });
  }

  it('serves 200 calls at once on one database: every result right, no SQLITE_BUSY', async () => {
    const site = new Site();
    site.config({ timeout: 5, tries: 1, lockout_failures: 1000 });
    const users = Array.from({ length: 10 }, (_, i) => String(2000 + i));
    for (const u of users) site.enroll(u, '4321');
    const server = await serve(site);
    const code = totp();
    const wrong = wrongCode();
    // One right code per user (a code is good once); every other call types a wrong one.
    const calls = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(server, { inputs: [users[i % 10]!, '4321', i < 10 ? code : wrong], timeoutMs: 90_000 })),
    );
    const expected = calls.map((_, i) => (i < 10 ? 'ok' : 'bad-credentials'));
    expect(calls.map((r) => r.variables.ASTOTP_REASON)).toEqual(expected);
    expect(calls.map((r) => r.variables.ASTOTP)).toEqual(expected.map((e) => (e === 'ok' ? 'SUCCESS' : 'FAILURE')));
    expect(calls.flatMap((r) => r.violations)).toEqual([]);
    await until(() => (server.log.match(/: (SUCCESS|FAILURE)/g) ?? []).length === 200, '200 calls in the log');
    expect(server.log).not.toMatch(/SQLITE_BUSY|busy|internal error/i);
  }, 120_000);

  it('answers connections beyond --max-sessions with FAILURE (busy) and serves the others', async () => {
    const server = await serve(siteWithUser({ tries: 1 }), ['--max-sessions', '2']);
    const a = typedAndSignal('1001');
    const b = typedAndSignal('1001');
    // Slow replies keep the first two calls in progress while the third comes in.
    const first = call(server, { inputs: [a.input, '4321', totp()], replyDelayMs: 1500, timeoutMs: 30_000 });
    const second = call(server, { inputs: [b.input, '4321', totp()], replyDelayMs: 1500, timeoutMs: 30_000 });
    await Promise.all([a.reached, b.reached]);
    const third = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(third.violations).toEqual([]);
    expect(third.prompts).toEqual([]);
    expect(third.commands[0]).toBe('SET VARIABLE ASTOTP "FAILURE"');
    expect(third.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(third.variables.ASTOTP_ERROR).toMatch(/^busy: .*2 calls/);
    // The same code twice: one of the two calls in progress gets it.
    const outcomes = (await Promise.all([first, second])).map((r) => r.variables.ASTOTP_REASON).sort();
    expect(outcomes).toEqual(['bad-credentials', 'ok']);
    expect(server.log).toMatch(/FAILURE \(busy: 2 calls in progress\)/);
  }, 40_000);

  it('lets a call in flight finish on SIGTERM, refuses new connections, then exits 0', async () => {
    const server = await serve(siteWithUser());
    const hook = typedAndSignal('1001');
    const inFlight = call(server, { inputs: [hook.input, '4321', totp()], replyDelayMs: 300 });
    await hook.reached;
    server.child.kill('SIGTERM');
    await until(() => server.log.includes('SIGTERM'), 'the server to take the signal');
    const refused = await new Promise<string>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve('connected')));
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(refused).toBe('ECONNREFUSED');
    const r = await inFlight;
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.log).toMatch(/SIGTERM: no new calls; waiting up to 60 s for 1 in progress/);
    expect(server.log).toMatch(/served 1 call; 0 transactions run again after conflicts\nastotp serve-agi: stopped\n$/);
  });

  it('closes a call Asterisk stops answering after --idle-timeout', async () => {
    const server = await serve(siteWithUser(), ['--idle-timeout', '1']);
    const r = await call(server, { inputs: ['1001'], replyDelayMs: 8000, timeoutMs: 20_000 });
    expect(r.variables.ASTOTP).toBe('FAILURE');
    expect(noSuccess(r)).toBe(true);
    await until(() => server.log.includes('left a prompt unanswered for too long'), 'the idle close in the log');
    expect(server.child.exitCode).toBeNull();
  });

  it('fails calls closed while the database cannot be opened, and serves them once it can', async () => {
    const site = new Site();
    site.config({ timeout: 5 });
    const server = await serve(site);
    expect(server.log).toMatch(/warning: database .* does not exist/);
    const before = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(before.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
    expect(before.variables.ASTOTP_ERROR).toMatch(/does not exist/);
    site.enroll('1001', '4321');
    const after = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok' });
  });

  it.skipIf(process.getuid?.() !== 0)('started as root, serves as the owner of the database directory, for good', async () => {
    const site = new Site();
    const NOBODY = 65534;
    for (const dir of [site.astDir, join(site.astDir, 'var'), join(site.astDir, 'var/lib')]) chmodSync(dir, 0o755);
    chownSync(site.varDir, NOBODY, NOBODY);
    site.config({ timeout: 5 });
    site.enroll('1001', '4321');
    const server = await serve(site);
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    // Real, effective, saved and filesystem IDs: none is left at root.
    expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(Array(4).fill(String(NOBODY)));
    expect(/^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim()).toBe(String(NOBODY));
    const r = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  });

  it('refuses bad options before listening', () => {
    const site = siteWithUser();
    const bad = [
      ['--listen', 'nowhere:99999'],
      ['--max-sessions', '0'],
      ['--idle-timeout', 'x'],
      ['--max-pending', '1'],
      ['--max-sessions', '10', '--max-pending', '9'],
      ['--header-timeout', '0'],
      ['--call-timeout', 'x'],
    ];
    for (const args of bad) {
      const r = site.cli(['serve-agi', ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^astotp: --(listen|max-sessions|idle-timeout|max-pending|header-timeout|call-timeout)/);
    }
  });
});

// Anyone who can connect can open sockets: what they do must not take the
// slots of real calls, nor keep a connection open for long.
describe('astotp serve-agi against connections that are not Asterisk', () => {
  const FIRST = 'SET VARIABLE ASTOTP "FAILURE"';
  const QUICK_REPLY_CLOSE =
    /call 1700000000\.9 .*: Asterisk took more than 1 s to answer a command that does not wait for the caller, closing/;

  /** Sends a header, takes the first command and answers it with a line that never ends; returns once the server has closed the connection. */
  async function trickleFirstReply(peer: RawPeer): Promise<void> {
    peer.sendHeader();
    expect(await peer.lines(1)).toEqual([FIRST]);
    // Only the server closing the connection ends this.
    await peer.trickle('200 result=1'.padEnd(1000, '0'), 100);
    expect(peer.open).toBe(false);
    expect(peer.received).toBe(`${FIRST}\n`);
  }

  it('serves a real call while many connections from its own address send no header, and closes those at --header-timeout', async () => {
    const server = await serve(siteWithUser(), ['--max-sessions', '2', '--header-timeout', '2']);
    // More than calls, pending connections and the server's connection backstop together.
    const idle: RawPeer[] = [];
    for (let i = 0; i < 40; i++) idle.push(await rawPeer(server));
    const r = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(r.violations).toEqual([]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    await Promise.all(idle.map((p) => p.closed));
    // Closed unspoken to: the oldest to make room, the rest at the header deadline.
    expect(idle.map((p) => p.received).join('')).toBe('');
    await until(() => /closed \d+ connections? that held no call/.test(server.log), 'the connections pushed out in the log');
    const timedOut = /connection from 127\.0\.0\.1:\d+: no AGI request \(AGI environment: no answer within 2000 ms\)/;
    await until(() => timedOut.test(server.log), 'a connection closed at the header deadline in the log');
    expect(server.log).not.toMatch(/busy|internal error/);
  }, 30_000);

  it('keeps the pending connections of one address while another address floods the server', async () => {
    const server = await serve(siteWithUser(), ['--max-sessions', '2']);
    const asterisk = await rawPeer(server);
    const flood: RawPeer[] = [];
    for (let i = 0; i < 30; i++) flood.push(await rawPeer(server, '127.0.0.2'));
    // The flood's own oldest are pushed out: the server has seen all of it.
    await Promise.all(flood.slice(0, -2).map((p) => p.closed));
    expect(asterisk.open).toBe(true);
    asterisk.sendHeader();
    expect(await asterisk.lines(1)).toEqual([FIRST]);
  }, 30_000);

  it('closes a call whose reply trickles in one byte at a time at --reply-timeout, as a hangup', async () => {
    const server = await serve(siteWithUser(), ['--reply-timeout', '1']);
    await trickleFirstReply(await rawPeer(server));
    await until(() => /call 1700000000\.9 .*: FAILURE \(hangup\)/.test(server.log), 'the call in the log');
    expect(server.log).toMatch(QUICK_REPLY_CLOSE);
  }, 30_000);

  it('keeps the clock running when a 520 usage block begins in the same piece as the header, and frees the slot', async () => {
    const server = await serve(siteWithUser(), ['--max-sessions', '1', '--reply-timeout', '1']);
    const peer = await rawPeer(server);
    // Until a line `520 ...` ends the usage block, every line is usage text: the 200 below answers nothing.
    peer.sendHeader(0, '520-Invalid command syntax.  Proper usage follows:\n');
    expect(await peer.lines(1)).toEqual([FIRST]);
    peer.socket.write('200 result=1\n');
    await until(() => !peer.open, 'the server to close the connection');
    expect(peer.received).toBe(`${FIRST}\n`);
    await until(() => /call 1700000000\.9 .*: FAILURE \(hangup\)/.test(server.log), 'the call in the log');
    expect(server.log).toMatch(QUICK_REPLY_CLOSE);
    // The only call slot is free again.
    const r = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  }, 30_000);

  it('closes a call once Asterisk has taken --call-timeout in all to answer, even though each reply came in time', async () => {
    const server = await serve(siteWithUser(), ['--idle-timeout', '5', '--call-timeout', '2']);
    // Right credentials, each prompt answered within the idle limit: served to the end, this would be a SUCCESS.
    const r = await call(server, { inputs: ['1001', '4321', totp()], replyDelayMs: 800, timeoutMs: 20_000 });
    expect(noSuccess(r)).toBe(true);
    expect(r.variables.ASTOTP).toBe('FAILURE');
    expect(r.prompts).toEqual([ID, PIN, CODE].slice(0, r.prompts.length));
    await until(() => server.log.includes('FAILURE (hangup)'), 'the call in the log');
    expect(server.log).toMatch(/: Asterisk took more than 2 s in all to answer this call, closing/);
    expect(server.log).not.toMatch(/left a command unanswered/);
    const next = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(next.variables.ASTOTP).toBe('SUCCESS');
  }, 30_000);

  it('gives a busy refusal only --header-timeout to be answered, however it trickles, and frees the slot for the next call', async () => {
    const server = await serve(siteWithUser(), ['--max-sessions', '1', '--header-timeout', '1']);
    const holder = await rawPeer(server);
    holder.sendHeader();
    expect(await holder.lines(1)).toEqual([FIRST]);
    await trickleFirstReply(await rawPeer(server));
    await until(() => server.log.includes('FAILURE (busy: 1 call in progress)'), 'the refusal in the log');
    holder.destroy();
    await until(() => server.log.includes('FAILURE (hangup)'), 'the held call to end');
    const r = await call(server, { inputs: ['1001', '4321', totp()] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
  }, 30_000);

  it('logs connections that send no AGI request as a few lines with counts, not one line each', async () => {
    const server = await serve(siteWithUser(), ['--max-pending', '1000']);
    const junk = 300;
    const silent = 200;
    const flood = await Promise.all(Array.from({ length: junk + silent }, () => rawPeer(server)));
    flood.forEach((p, i) => (i < junk ? p.socket.write('GET / HTTP/1.1\r\nHost: pbx\r\n\r\n') : p.socket.end()));
    await Promise.all(flood.map((p) => p.closed));
    expect(flood.map((p) => p.received).join('')).toBe('');
    const lines = () => server.log.split('\n').filter((l) => l.includes('no AGI request'));
    const counted = () => [...countsByReason(lines()).values()].reduce((a, b) => a + b, 0);
    await until(() => counted() === junk + silent, 'every connection counted in the log');
    expect(countsByReason(lines())).toEqual(
      new Map([
        ['not an AGI environment line (expected agi_name: value)', junk],
        ['AGI input ended before the environment was complete (EOF)', silent],
      ]),
    );
    // One line a second at most: 500 connections opened at once take far less than 25 s.
    expect(lines().length).toBeLessThan(25);
    expect(lines().find((l) => l.startsWith('astotp serve-agi: closed '))).toMatch(/\(the last from 127\.0\.0\.1:\d+\): \d+ × /);
  }, 30_000);

  it('closes a connection whose header grows past 64 KiB without answering it', async () => {
    const server = await serve(siteWithUser());
    const peer = await rawPeer(server);
    peer.sendHeader(70_000);
    await peer.closed;
    expect(peer.received).toBe('');
    await until(() => server.log.includes('no AGI request (more than 65536 bytes of header)'), 'the refusal in the log');
  });
});
