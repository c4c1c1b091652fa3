// Ctrl-C ends every command with exit status 130 (128 + SIGINT) and no stack
// trace: at a question asked unseen (raw mode, where ^C is a key), at one
// read as a line (where the terminal sends SIGINT), and in the servers,
// which first let their work finish.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { PtySession } from './helpers/pty.js';
import { AgiServer } from './helpers/serve-agi.js';
import { SECRET } from './helpers/site.js';

const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';
const CTRL_C = '\x03';

/** `astotp ARGS` on a terminal, Ctrl-C pressed once `question` shows: its exit status and what it showed. */
async function interrupted(site: CliSite, args: string[], question: string): Promise<{ status: number | null; output: string }> {
  const t = new PtySession([process.execPath, BUNDLE_PATH, ...args], site.env);
  await t.waitFor(question);
  t.press(CTRL_C);
  return { status: await t.exit(), output: t.output };
}

describe('Ctrl-C', () => {
  it.each([
    ['the PIN asked unseen', ['enroll', '1002', '--secret', SECRET, '--qr', 'none'], 'New PIN ('],
    ['the confirming code', ['enroll', '1002', '--secret', SECRET, '--qr', 'none', '--no-pin'], 'Code shown by the app for 1002: '],
    ['a new PIN', ['set-pin', '1001'], 'New PIN ('],
    ['the removal asked about', ['remove', '1001'], '[y/N]'],
    ['the caller in simulate', ['simulate'], 'digits> '],
    [
      'the code of pbotp challenge',
      ['pbotp', 'challenge', '--pubkey', PUB, '--group', 'ssh', '--user', 'root', '--host', 'db1'],
      'Code (9 digits): ',
    ],
  ])('at %s exits 130, saves nothing and prints no stack trace', async (_what, args, question) => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const r = await interrupted(site, args, question);
    expect(r.status, r.output).toBe(130);
    expect(r.output).not.toMatch(/^\s+at |Error|astotp: (?!warning: .* is owned by root)/m);
    expect(site.json<Array<{ id: string }>>(['list']).value.map((u) => u.id)).toEqual(['1001']);
  });

  it('serve-agi and pbotp serve stop as on SIGTERM, then exit 130', async () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    const agi = await AgiServer.start(site.env);
    expect(await agi.stop('SIGINT')).toEqual({ code: 130, signal: null });
    expect(agi.log).toMatch(/SIGINT: no new calls;[\s\S]*stopped\n$/);

    const key = `${site.astDir}/authority.key`;
    expect(site.cli(['pbotp', 'genkey', 'privkey', '--out', key]).status).toBe(0);
    const serve = spawn(process.execPath, [BUNDLE_PATH, 'pbotp', 'serve', '--key', key, '--no-login', '--listen', '127.0.0.1:0'], {
      env: site.env,
    });
    let err = '';
    serve.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exit = new Promise<number | null>((resolve) => serve.on('close', resolve));
    for (let i = 0; !err.includes('listening on') && i < 500; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    serve.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(err).toContain('pbotp: shutting down');
  });
});
