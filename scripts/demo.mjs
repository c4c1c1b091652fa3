// The README's main command: enrolls a demo user in a temporary database with
// the built dist/astotp, then places two calls through it exactly as Asterisk
// would run the AGI script (header on stdin, one command at a time), with the
// code computed the way the authenticator app does. Prints the conversation.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateSync } from 'otplib';

const bundle = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'astotp');
const dir = mkdtempSync(join(tmpdir(), 'astotp-demo-'));
const env = {
  ...process.env,
  ASTOTP_DB: join(dir, 'astotp.sqlite3'),
  ASTOTP_CONF: join(dir, 'astotp.conf'),
  AST_CONFIG_DIR: undefined,
  AST_AGI_DIR: undefined,
};
writeFileSync(env.ASTOTP_CONF, '[general]\ntries = 2\ntimeout = 5\n');

function section(title) {
  process.stdout.write(`\n\x1b[1m== ${title}\x1b[0m\n`);
}

section('astotp enroll 1001   (the admin, on the PBX shell; PIN 4321 typed on stdin)');
const enroll = spawnSync(process.execPath, [bundle, 'enroll', '1001', '--no-confirm', '--qr', 'utf8'], {
  env,
  input: '4321\n',
  encoding: 'utf8',
});
process.stdout.write(enroll.stdout);
if (enroll.status !== 0) throw new Error(`enroll failed: ${enroll.stderr}`);
const secret = /secret=([A-Z2-7]+)/.exec(enroll.stdout)?.[1];
if (!secret) throw new Error('no secret in the enrollment output');

/** Plays Asterisk for one call: answers each command, typing `digits` at each GET DATA. */
function call(label, digits) {
  section(label);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      env: { ...env, AST_AGI_DIR: dir, AST_CONFIG_DIR: dir },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const vars = {};
    let up = false;
    const say = (line) => {
      process.stdout.write(`   asterisk> ${line}\n`);
      child.stdin.write(`${line}\n`);
    };
    child.stdin.write('agi_request: otp/astotp\nagi_channel: PJSIP/1001-00000001\nagi_uniqueid: 1700000000.1\nagi_callerid: 1001\n\n');
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`   astotp  > ${line}\n`);
      const set = /^SET VARIABLE (\w+) "(.*)"$/.exec(line);
      if (set) vars[set[1]] = set[2];
      if (line.startsWith('GET DATA')) {
        const typed = digits.shift();
        setTimeout(() => say(typed === undefined ? '200 result= (timeout)' : `200 result=${typed}`), 50);
      } else if (line.startsWith('CHANNEL STATUS')) say(`200 result=${up ? 6 : 4}`);
      else if (line === 'ANSWER') (up = true), say('200 result=0');
      else if (line.startsWith('STREAM FILE')) say('200 result=0 endpos=8000');
      else say('200 result=1');
    });
    child.on('error', reject);
    child.on('exit', () => resolve(vars));
  });
}

const code = generateSync({ secret });
const good = await call(`A caller types 1001, PIN 4321 and the app's code ${code}`, ['1001', '4321', code]);
const replay = await call('Someone who sniffed that call replays the same digits', ['1001', '4321', code, '1001', '4321', code]);

section('astotp log   (the audit trail)');
process.stdout.write(spawnSync(process.execPath, [bundle, 'log'], { env, encoding: 'utf8' }).stdout);
rmSync(dir, { recursive: true, force: true });

section('Result');
console.log(`first call:  ASTOTP=${good.ASTOTP} (${good.ASTOTP_REASON})`);
console.log(`replay call: ASTOTP=${replay.ASTOTP} (${replay.ASTOTP_REASON})`);
if (good.ASTOTP !== 'SUCCESS' || replay.ASTOTP !== 'FAILURE') {
  console.error('demo: unexpected result');
  process.exit(1);
}
