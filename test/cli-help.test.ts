// Every --help fits the terminal it is shown on: 80 columns when it is no
// terminal, the terminal's width otherwise, wrapped without losing a word.
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { CliSite } from './helpers/cli-site.js';
import { PtySession } from './helpers/pty.js';

const site = new CliSite();

/** "  name  summary" lines of a help's command list. */
const listed = (help: string): string[] =>
  [...help.slice(help.indexOf('\nCommands:\n')).matchAll(/^ {2}([a-z][a-z-]*) {2,}\S/gm)].map((m) => m[1]!);

/** The PAM steps: pam_exec runs them, so the group's help names them in a sentence, not in its list. */
const PAM_STEPS = ['pbotp pam-challenge', 'pbotp pam-verify'];

/** Every command name, groups' commands as "pbotp genkey", found in the help itself so a new command is covered too. */
function commands(): string[] {
  const top = listed(site.cli(['--help']).stdout);
  const found = top.flatMap((name) => {
    const group = listed(site.cli([name, '--help']).stdout);
    return group.length > 0 ? [name, ...group.map((g) => `${name} ${g}`)] : [name];
  });
  return [...new Set([...found, ...PAM_STEPS])];
}

/** Lines a help shows as they are, to be copied whole: the pam.d lines of the PAM steps. */
const copiedWhole = (line: string) => line.startsWith('auth ');

const columns = (line: string) => [...line].length;

/** Each command's help as a terminal of `cols` columns shows it, by command ('' for the general help). */
async function onTerminal(names: string[], cols: number): Promise<Map<string, string[]>> {
  const script = ['', ...names].map((n) => `echo "=== ${n}"; "$NODE" "$BUNDLE" ${n} --help`).join('; ');
  const t = new PtySession(['sh', '-c', script], { ...site.env, NODE: process.execPath, BUNDLE: BUNDLE_PATH }, { rows: 24, cols });
  expect(await t.exit()).toBe(0);
  const out = new Map<string, string[]>();
  let current = '';
  for (const line of t.output.split('\r\n')) {
    const head = /^=== (.*)$/.exec(line);
    if (head) out.set((current = head[1]!), []);
    else out.get(current)?.push(line);
  }
  return out;
}

describe('--help', () => {
  const names = commands();

  it('finds the commands it checks in the help', () => {
    expect(names).toEqual(expect.arrayContaining(['enroll', 'serve-agi', 'pbotp', 'pbotp challenge', 'pbotp pam-verify']));
    expect(names.length).toBeGreaterThan(25);
  });

  it('fits 80 columns on a pipe, for every command and the general help', () => {
    for (const name of ['', ...names]) {
      const r = site.cli([...name.split(' ').filter(Boolean), '--help']);
      expect(r.status, name).toBe(0);
      const wide = r.stdout.split('\n').filter((l) => columns(l) > 80 && !copiedWhole(l));
      expect(wide, `astotp ${name} --help`).toEqual([]);
      // The PAM steps' help is their own (src/pam), with no `astotp help` form.
      if (!PAM_STEPS.includes(name)) expect(site.cli(['help', ...name.split(' ').filter(Boolean)]).stdout).toBe(r.stdout);
    }
  }, 60_000);

  it('wraps at the width of the terminal, and loses no word doing so', async () => {
    const narrow = await onTerminal(names, 60);
    const wide = await onTerminal(names, 300);
    expect([...narrow.keys()]).toEqual(['', ...names]);
    for (const [name, lines] of narrow) {
      expect(
        lines.filter((l) => columns(l) > 60 && !copiedWhole(l)),
        `astotp ${name} --help`,
      ).toEqual([]);
      const words = (ls: string[]) => ls.join(' ').split(/\s+/).filter(Boolean);
      expect(words(lines), `astotp ${name} --help`).toEqual(words(wide.get(name)!));
    }
    // An option's description goes on under its first word.
    expect(narrow.get('serve-agi')).toEqual(
      expect.arrayContaining([
        '  --shutdown-timeout S    on SIGTERM, how long calls in',
        '                          progress may take to finish',
        '                          (default 60)',
      ]),
    );
  }, 60_000);
});
