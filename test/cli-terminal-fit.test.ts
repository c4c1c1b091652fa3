// What the admin tools show fits an 80x24 terminal, as a terminal (pty)
// shows it: enroll's secret is one unbroken line, pbotp challenge's QR code
// for README's example login is whole on screen above its URL and prompt, and
// a QR code that cannot fit leaves the URL alone, with a note.
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { PtySession } from './helpers/pty.js';
import { SECRET } from './helpers/site.js';
import { decodeScreen, screenOf } from './helpers/terminal-image.js';

const PUB = 'Zng28LIYphqbbwqEfvcT4nAshzazNE5lDuSvRJjrSgQ';
/** README's example: astotp pbotp challenge ... --group ssh --user root --base-url https://auth.example.org, on host db1. */
const README_CHALLENGE = ['pbotp', 'challenge', '--pubkey', PUB, '--group', 'ssh', '--user', 'root', '--host', 'db1'];
const BASE_URL = ['--base-url', 'https://auth.example.org'];

describe('on an 80x24 terminal', () => {
  it("enroll's secret line does not wrap; a secret too long for it has a line of its own", async () => {
    const site = new CliSite();
    for (const secret of [SECRET, `${SECRET}${SECRET}`]) {
      const t = new PtySession([process.execPath, BUNDLE_PATH, 'enroll', '1002', '--secret', secret, '--no-pin', '--qr', 'none'], site.env);
      await t.waitFor('Code shown by the app for 1002: ');
      t.press('\x03');
      expect(await t.exit()).toBe(130);
      const rows = screenOf(t.output, 80, Infinity).text;
      const label = 'Secret for the app (SHA1, 6 digits, 30 s):';
      expect(rows).toContain(secret === SECRET ? `${label} ${secret}` : label);
      if (secret !== SECRET) expect(rows[rows.indexOf(label) + 1]).toBe(secret);
    }
  });

  it("pbotp challenge for README's example shows its whole QR code, the URL and the prompt", async () => {
    const site = new CliSite();
    const t = new PtySession([process.execPath, BUNDLE_PATH, ...README_CHALLENGE, ...BASE_URL], site.env);
    await t.waitFor('Code (9 digits): ');
    const url = /URL: (\S+)/.exec(t.output)![1]!;
    expect(url).toMatch(/^https:\/\/auth\.example\.org\/ssh\/db1\/root\/[\w-]{43}$/);
    const screen = screenOf(t.output, 80, 24);
    expect(screen.text.at(-1)).toBe('Code (9 digits):');
    expect(screen.text.slice(-3, -1).join('')).toBe(`URL: ${url}`);
    expect(decodeScreen(screen, 'dark')).toEqual([url]);
    t.press('\x03');
    expect(await t.exit()).toBe(130);
  });

  it('a QR code that cannot fit leaves the URL alone, with a note saying why', async () => {
    const site = new CliSite();
    const t = new PtySession([process.execPath, BUNDLE_PATH, ...README_CHALLENGE, ...BASE_URL], site.env, { rows: 20, cols: 60 });
    await t.waitFor('Code (9 digits): ');
    expect(t.output).not.toMatch(/[█▀▄]/);
    expect(t.output).toMatch(
      /pbotp: the QR code \(45x21, with the URL and prompt 24 rows\) does not fit this 60x20 terminal, so only the URL is shown/,
    );
    expect(t.output).toMatch(/URL: https:\/\/auth\.example\.org\/ssh\/db1\/root\/[\w-]{43}\r\n/);
    t.press('\x03');
    expect(await t.exit()).toBe(130);
  });
});
