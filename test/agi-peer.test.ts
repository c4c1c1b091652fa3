// Proves the scripted Asterisk with throwaway AGI scripts before the real bundle exists.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH, REPO_ROOT, runCall, type RunCallOptions } from './helpers/asterisk-peer.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('astotp-peer-test-');

// A minimal hand-written AGI client: line reader, header, one command at a time.
const PRELUDE = `
let buf = '', lines = [], waiters = [], eof = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const l = buf.slice(0, i); buf = buf.slice(i + 1);
    const w = waiters.shift(); if (w) w(l); else lines.push(l);
  }
});
process.stdin.on('end', () => { eof = true; for (const w of waiters.splice(0)) w(null); });
const next = () => new Promise((r) => { if (lines.length) r(lines.shift()); else if (eof) r(null); else waiters.push(r); });
const cmd = (t) => { process.stdout.write(t + '\\n'); return next(); };
const header = async () => {
  const env = {};
  for (;;) { const l = await next(); if (!l) return env; const i = l.indexOf(':'); env[l.slice(0, i)] = l.slice(i + 2); }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
`;

let scripts = 0;
function script(body: string): Pick<RunCallOptions, 'command' | 'commandArgs'> {
  const file = join(dir, `agi-${++scripts}.cjs`);
  // Like any AGI, the script must exit by itself: Asterisk keeps stdin open until it does.
  writeFileSync(
    file,
    `${PRELUDE}\n(async () => {\n${body}\n})().then(() => process.exit(), (e) => { console.error(e); process.exit(99); });\n`,
  );
  return { command: process.execPath, commandArgs: [file] };
}

describe('scripted Asterisk', () => {
  it('finds the bundle from its own location', () => {
    expect(BUNDLE_PATH).toBe(join(REPO_ROOT, 'dist', 'astotp'));
    // Wherever the checkout is: the root is the folder with astotp's package.json.
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).name).toBe('astotp');
  });

  it('spawns the program as Asterisk does and answers its commands', async () => {
    const r = await runCall({
      ...script(`
        const env = await header();
        await cmd('SET VARIABLE ARGV "' + process.argv.slice(2).join('|') + '"');
        await cmd('SET VARIABLE KEYS "' + Object.keys(env).join(',') + '"');
        await cmd('SET VARIABLE ARGS "' + env.agi_arg_1 + '|' + env.agi_arg_2 + '"');
        await cmd('SET VARIABLE CALLER "' + env.agi_callerid + '"');
        await cmd('SET VARIABLE CWD "' + process.cwd() + '"');
        await cmd('SET VARIABLE CONF "' + process.env.AST_CONFIG_DIR + '"');
        await cmd('SET VARIABLE DB "' + process.env.ASTOTP_DB + '"');
        const ast = Object.keys(process.env).filter((k) => k.startsWith('AST_')).sort();
        await cmd('SET VARIABLE AST "' + ast.join(',') + '"');
        const replies = [];
        for (const c of ['CHANNEL STATUS', 'ANSWER', 'CHANNEL STATUS', 'GET DATA "astotp/id" 5000 8', 'GET DATA "astotp/pin" 5000 8',
          'GET DATA "astotp/code" 5000 6', 'GET DATA "astotp/hash" 5000 4', 'GET DATA "astotp/more" 5000 4', 'STREAM FILE "astotp/ok" ""', 'STREAM FILE "astotp/gone" ""',
          'VERBOSE "astotp: hello world" 1', 'NOOP', 'EXEC NoSuchApp x', 'EXEC UserEvent ASTOTP,x']) replies.push(await cmd(c));
        await cmd('SET VARIABLE REPLIES "' + replies.join('|') + '"');
      `),
      args: ['login', 'x y'],
      inputs: ['1001', { timeout: '12' }, '1234567', '12#34'],
      missingSounds: ['astotp/gone'],
      env: { ASTOTP_DB: '/tmp/some.db' },
      agi: { agi_callerid: 'unknown' },
    });
    expect(r.violations).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.variables.ARGV).toBe('login|x y');
    expect(r.variables.ARGS).toBe('login|x y');
    expect(r.variables.CALLER).toBe('unknown');
    expect(r.variables.KEYS).toBe(
      [
        'agi_request',
        'agi_channel',
        'agi_language',
        'agi_type',
        'agi_uniqueid',
        'agi_version',
        'agi_callerid',
        'agi_calleridname',
        'agi_callingpres',
        'agi_callingani2',
        'agi_callington',
        'agi_callingtns',
        'agi_dnid',
        'agi_rdnis',
        'agi_context',
        'agi_extension',
        'agi_priority',
        'agi_enhanced',
        'agi_accountcode',
        'agi_threadid',
        'agi_arg_1',
        'agi_arg_2',
      ].join(','),
    );
    expect(r.variables.CWD).toBe(r.astDir);
    expect(r.variables.CONF).toBe(join(r.astDir, 'etc/asterisk'));
    expect(r.variables.DB).toBe('/tmp/some.db');
    expect(r.variables.AST).toBe(
      'AST_AGI_DIR,AST_CONFIG_DIR,AST_CONFIG_FILE,AST_DATA_DIR,AST_KEY_DIR,AST_LOG_DIR,' +
        'AST_MODULE_DIR,AST_MONITOR_DIR,AST_RUN_DIR,AST_SPOOL_DIR,AST_VAR_DIR',
    );
    expect(r.variables.REPLIES?.split('|')).toEqual([
      '200 result=4',
      '200 result=0',
      '200 result=6',
      '200 result=1001',
      '200 result=12 (timeout)',
      '200 result=123456',
      '200 result=12',
      '200 result= (timeout)',
      '200 result=0 endpos=8000',
      '200 result=-1 endpos=0',
      '200 result=1',
      '510 Invalid or unknown command',
      // Asterisk's answer for an application it does not have, and for one that ran.
      '200 result=-2',
      '200 result=0',
    ]);
    expect(r.prompts).toEqual(['astotp/id', 'astotp/pin', 'astotp/code', 'astotp/hash', 'astotp/more', 'astotp/ok', 'astotp/gone']);
    expect(r.verbose).toEqual(['astotp: hello world']);
    expect(r.setLog[0]).toEqual(['ARGV', 'login|x y']);
    expect(r.execs).toEqual([
      ['NoSuchApp', 'x'],
      ['UserEvent', 'ASTOTP,x'],
    ]);
    expect(r.commands).toHaveLength(23);
    expect(r.msAfterHangup).toBeUndefined();
  });

  it('flags a command written while a reply is pending', async () => {
    const r = await runCall({
      ...script(`
        await header();
        process.stdout.write('GET DATA "astotp/id" 5000 8\\n');
        await sleep(20);
        process.stdout.write('SET VARIABLE X "1"\\n');
        await next(); await next();
      `),
      // Wide enough that the late write lands inside it even on a loaded machine.
      replyDelayMs: 500,
    });
    expect(r.violations).toEqual(['wrote to stdout while the reply to "GET DATA "astotp/id" 5000 8" was pending']);
    expect(r.variables.X).toBe('1');
  });

  it('flags two commands written in one go', async () => {
    const r = await runCall(
      script(`
      await header();
      process.stdout.write('VERBOSE "a" 1\\nVERBOSE "b" 1\\n');
      await next(); await next();
    `),
    );
    expect(r.violations).toHaveLength(1);
    expect(r.violations[0]).toMatch(/while the reply to "VERBOSE "a" 1" was pending/);
  });

  it('flags stray output, malformed and unterminated commands', async () => {
    const r = await runCall(
      script(`
      await header();
      console.log('debug: starting');
      await next();
      const usage = [await cmd('GET DATA')];
      while (!usage[usage.length - 1].startsWith('520 ')) usage.push(await next());
      await cmd('SET VARIABLE USAGE "' + usage.length + '"');
      await cmd('SET VARIABLE A "unbalanced');
      process.stdout.write('VERBOSE "x" 1');
    `),
    );
    expect(r.violations).toEqual([
      'not an AGI command: "debug: starting"',
      'malformed command: "GET DATA"',
      'malformed command: "SET VARIABLE A \\"unbalanced"',
      'unterminated output at exit: "VERBOSE \\"x\\" 1"',
    ]);
    expect(r.variables.USAGE).toBe('3');
  });

  it('kills with SIGHUP at a hangup; a program without a handler dies of it', async () => {
    const r = await runCall({
      ...script(`await header(); await cmd('GET DATA "astotp/id" 5000 8'); await sleep(5000);`),
      inputs: [{ hangup: 'sighup' }],
    });
    expect(r.signal).toBe('SIGHUP');
    expect(r.exitCode).toBeNull();
    expect(r.msAfterHangup).toBeGreaterThanOrEqual(0);
    expect(r.msAfterHangup).toBeLessThan(1000);
  });

  for (const how of ['sighup', 'result'] as const) {
    it(`answers like a dead channel after a hangup (${how})`, async () => {
      const r = await runCall({
        ...script(`
          let hup = false;
          process.on('SIGHUP', () => { hup = true; });
          await header();
          const got = await cmd('GET DATA "astotp/id" 5000 8');
          while (!hup) await sleep(5);
          const after = [];
          for (const c of ['GET DATA "astotp/id" 5000 8', 'STREAM FILE "x" ""', 'CHANNEL STATUS', 'ANSWER', 'VERBOSE "bye" 1', 'NOOP'])
            after.push(await cmd(c));
          await cmd('SET VARIABLE GOT "' + got + '"');
          await cmd('SET VARIABLE AFTER "' + after.join('|') + '"');
        `),
        inputs: [{ hangup: how }],
      });
      expect(r.violations).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.variables.GOT).toBe('200 result=-1');
      const dead = '511 Command Not Permitted on a dead channel or intercept routine';
      expect(r.variables.AFTER?.split('|')).toEqual([dead, dead, dead, dead, '200 result=1', '510 Invalid or unknown command']);
      expect(r.deadCommands).toHaveLength(8);
      expect(r.prompts).toEqual(['astotp/id']);
    });
  }

  it('closes stdin at an eof hangup and keeps recording', async () => {
    const r = await runCall({
      ...script(`
        await header();
        const got = await cmd('GET DATA "astotp/id" 5000 8');
        process.stdout.write('SET VARIABLE GOT "' + got + '"\\n');
      `),
      inputs: [{ hangup: 'eof' }],
    });
    expect(r.exitCode).toBe(0);
    expect(r.violations).toEqual([]);
    expect(r.variables.GOT).toBe('null');
    expect(r.msAfterHangup).toBeLessThan(1000);
  });

  it('fails loudly when the program does not exit', async () => {
    const started = Date.now();
    await expect(
      runCall({ ...script(`await header(); await cmd('ANSWER'); await new Promise(() => setInterval(() => {}, 1000));`), timeoutMs: 500 }),
    ).rejects.toThrow(/did not exit within 500 ms[\s\S]*ANSWER/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('captures stderr', async () => {
    const r = await runCall(script(`await header(); console.error('to the log'); process.exitCode = 3;`));
    expect(r.stderr).toBe('to the log\n');
    expect(r.exitCode).toBe(3);
  });
});

describe('scripted Asterisk: saying things and single keys', () => {
  it('answers SAY DIGITS, SAY NUMBER and STREAM FILE with the key pressed during them, and records what was said', async () => {
    const r = await runCall({
      ...script(`
        await header();
        const replies = [];
        for (const c of ['SAY DIGITS 1234567 "*#"', 'SAY NUMBER 2 "*#"', 'SAY DIGITS 7654321 "*#"', 'STREAM FILE "p" "*#"', 'STREAM FILE "q" ""', 'SEND TEXT "hello there"'])
          replies.push(await cmd(c));
        await cmd('SET VARIABLE R "' + replies.join('|') + '"');
      `),
      inputs: [{ press: '*', afterSaid: 2 }],
    });
    expect(r.violations).toEqual([]);
    expect(r.said).toEqual(['1234567', '7654321']);
    expect(r.texts).toEqual(['hello there']);
    expect(r.variables.R).toBe('200 result=0|200 result=0|200 result=0|200 result=42 endpos=8000|200 result=0 endpos=8000|200 result=0');
  });

  it('types a string key by key with WAIT FOR DIGIT, and the rest with GET DATA; computed digits see what was said', async () => {
    const r = await runCall({
      ...script(`
        await header();
        const replies = [];
        for (const c of ['SAY DIGITS 42 ""', 'WAIT FOR DIGIT 1000', 'GET DATA "" 1000 5', 'WAIT FOR DIGIT 1000', 'GET DATA "x" 1000 5'])
          replies.push(await cmd(c));
        await cmd('SET VARIABLE R "' + replies.join('|') + '"');
      `),
      inputs: [{ compute: (said) => `9${said.join('')}` }],
    });
    expect(r.violations).toEqual([]);
    expect(r.variables.R).toBe('200 result=0|200 result=57|200 result=42|200 result=0|200 result= (timeout)');
  });

  it('hangs up during a playback it is due at', async () => {
    const r = await runCall({
      ...script(`
        process.on('SIGHUP', () => {});
        await header();
        await cmd('SAY DIGITS 1 "*"');
        const got = await cmd('SAY DIGITS 2 "*"');
        await cmd('SET VARIABLE GOT "' + got + '"');
      `),
      inputs: [{ hangup: 'result', afterSaid: 1 }],
    });
    expect(r.variables.GOT).toBe('200 result=-1');
    expect(r.said).toEqual(['1', '2']);
    expect(r.msAfterHangup).toBeLessThan(1000);
  });

  it('flags malformed SAY DIGITS, SAY NUMBER and WAIT FOR DIGIT', async () => {
    const r = await runCall(
      script(`
      await header();
      for (const c of ['SAY DIGITS 12a "*"', 'SAY NUMBER 3 "x"', 'WAIT FOR DIGIT soon', 'SAY DIGITS 12']) {
        // A 520 answer runs over several lines; the next command waits for its end.
        for (let l = await cmd(c); l && !l.startsWith('520 '); l = await next());
      }
    `),
    );
    expect(r.violations).toEqual([
      'malformed command: "SAY DIGITS 12a \\"*\\""',
      'malformed command: "SAY NUMBER 3 \\"x\\""',
      'malformed command: "WAIT FOR DIGIT soon"',
      'malformed command: "SAY DIGITS 12"',
    ]);
  });
});
