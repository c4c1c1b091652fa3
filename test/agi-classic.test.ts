// Classic AGI on a real process: a small program built from src/agi with
// esbuild, run by the scripted Asterisk exactly like the real bundle will be.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCall, type RunCallOptions } from './helpers/asterisk-peer.js';
import { tempDir } from './helpers/temp.js';

const dir = tempDir('astotp-classic-');
const program = join(dir, 'classic-agi.cjs');

// A stand-in call flow: fail closed first, then one prompt per step.
const ENTRY = `
import { startClassicAgi } from ${JSON.stringify(join(REPO_ROOT, 'src/agi/classic.ts'))};
import { HangupError } from ${JSON.stringify(join(REPO_ROOT, 'src/call/channel.ts'))};

async function main() {
  let channel;
  try {
    channel = await startClassicAgi({ headerDeadlineMs: 1000 });
  } catch (error) {
    process.stderr.write('not an AGI session: ' + error.message + '\\n');
    process.exitCode = 2;
    return;
  }
  try {
    await channel.setVariable('ASTOTP', 'FAILURE');
    console.log('a stray log line');
    await channel.answer();
    const id = await channel.getDigits('astotp/enter-id', 5000, 8);
    await channel.setVariable('GOT', id.digits + (id.timedOut ? ' timeout' : ''));
    await channel.play('astotp/missing');
    const code = await channel.getDigits('astotp/enter-code', 5000, 6);
    await channel.setVariable('CODE_LENGTH', String(code.digits.length));
    await channel.setVariable('ASTOTP', 'SUCCESS');
    await channel.setVariable('ASTOTP_REASON', 'ok');
  } catch (error) {
    // As runCall's report: a transport that is gone refuses the variable, which is no new failure.
    await channel.setVariable('ASTOTP_REASON', error instanceof HangupError ? 'hangup' : 'error').catch(() => {});
    await channel.log('ended by ' + error.name);
  }
  await channel.close();
}
main();
`;

beforeAll(async () => {
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, ENTRY);
  await build({
    entryPoints: [entry],
    outfile: program,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
});

const call = (options: RunCallOptions) => runCall({ command: process.execPath, commandArgs: [program], timeoutMs: 8000, ...options });

describe('classic AGI', () => {
  it('runs a call, keeping stray output off stdout', async () => {
    const r = await call({ inputs: ['1001', '123456'], missingSounds: ['astotp/missing'] });
    expect(r.violations).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.commands.slice(0, 3)).toEqual(['SET VARIABLE ASTOTP "FAILURE"', 'CHANNEL STATUS', 'ANSWER']);
    expect(r.variables).toEqual({ ASTOTP: 'SUCCESS', GOT: '1001', CODE_LENGTH: '6', ASTOTP_REASON: 'ok' });
    expect(r.verbose).toEqual(['astotp: sound astotp/missing could not be played (missing?)']);
    expect(r.prompts).toEqual(['astotp/enter-id', 'astotp/missing', 'astotp/enter-code']);
    expect(r.stderr).toContain('a stray log line');
  });

  for (const how of ['sighup', 'result'] as const) {
    it(`survives SIGHUP and ends with the reason on the dead channel (${how})`, async () => {
      const r = await call({ inputs: [{ hangup: how }] });
      expect(r.violations).toEqual([]);
      expect(r.signal).toBeNull();
      expect(r.exitCode).toBe(0);
      expect(r.variables).toEqual({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'hangup' });
      expect(r.verbose).toEqual(['astotp: ended by HangupError']);
      expect(r.deadCommands).toEqual(['SET VARIABLE ASTOTP_REASON "hangup"', 'VERBOSE "astotp: ended by HangupError" 1']);
      expect(r.msAfterHangup).toBeLessThan(1000);
    });
  }

  it('takes stdin EOF as a hangup and exits', async () => {
    const r = await call({ inputs: [{ hangup: 'eof' }] });
    expect(r.violations).toEqual([]);
    expect(r.signal).toBeNull();
    expect(r.exitCode).toBe(0);
    expect(r.variables).toEqual({ ASTOTP: 'FAILURE' });
    expect(r.deadCommands).toEqual([]);
    expect(r.msAfterHangup).toBeLessThan(1000);
  });

  it('refuses input that is not an AGI header, writing nothing to stdout', async () => {
    const child = spawn(process.execPath, [program], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdin.write('hello\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('not an AGI session');
  });

  it('does not crash when Asterisk stops reading (EPIPE)', async () => {
    const child = spawn(process.execPath, [program], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdout.destroy();
    child.stdin.on('error', () => {});
    child.stdin.write('agi_channel: PJSIP/1001-1\nagi_callerid: 1001\n\n');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error/);
  });
});
