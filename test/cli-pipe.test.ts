// Output into a reader that has stopped reading (astotp doctor | head -0,
// or head -1 that got its line): the command ends with its usual status and
// no Node stack trace.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { wrongCode, type CliResult } from './helpers/site.js';

/** Runs the CLI with its stdout a pipe whose reading end is closed before the command starts. */
function intoClosedPipe(site: CliSite, args: string[]): Promise<Omit<CliResult, 'stdout'>> {
  const child = spawn(process.execPath, [BUNDLE_PATH, ...args], { env: site.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('a reader that closes early', () => {
  it('ends every printing command quietly, with the status it has otherwise', async () => {
    const site = new CliSite();
    onTestFinished(() => site.remove());
    site.enroll('1001', '4321');
    for (let i = 0; i < 3; i++) site.cli(['verify', '1001', wrongCode()]);
    const commands = [
      ['list'],
      ['list', '--json'],
      ['show', '1001'],
      ['log'],
      ['log', '--json'],
      ['doctor'],
      ['doctor', '--json'],
      ['--help'],
      ['help', 'enroll'],
      ['show', '--help'],
    ];
    for (const args of commands) {
      const usual = site.cli(args);
      expect(usual.stdout, args.join(' ')).not.toBe('');
      const piped = await intoClosedPipe(site, args);
      expect({ args, status: piped.status }).toEqual({ args, status: usual.status });
      expect(piped.stderr, args.join(' ')).not.toMatch(/EPIPE|^\s+at |Error/m);
      // Whatever the command says on stderr besides its output is unchanged.
      expect(piped.stderr, args.join(' ')).toBe(usual.stderr);
    }
  });
});
