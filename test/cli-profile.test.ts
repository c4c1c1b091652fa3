// Users' names, mail addresses and languages (schema 5): set by enroll and
// set, shown by show and list, carried by export and import; and the [web]
// section of astotp.conf, which calls never read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { SECRET, totp } from './helpers/site.js';
import { tempDir } from './helpers/temp.js';

interface UserJson {
  id: string;
  name: string | null;
  email: string | null;
  language: string | null;
}

describe("a user's name, address and language", () => {
  it('are set by enroll and set, shown by show and list, and cleared by an empty value', () => {
    const site = new CliSite();
    site.enroll('1001', '4321', SECRET, ['--name', 'Zoë Dupont', '--email', 'zoe@example.org', '--language', 'FR']);
    expect(site.json<UserJson>(['show', '1001']).value).toMatchObject({ name: 'Zoë Dupont', email: 'zoe@example.org', language: 'fr' });
    const show = site.cli(['show', '1001']).stdout;
    expect(show).toMatch(/^name: +Zoë Dupont$/m);
    expect(show).toMatch(/^language: +fr$/m);

    expect(site.cli(['set', '1001', '--email', 'zoe.dupont@example.org', '--name', '']).status).toBe(0);
    expect(site.json<UserJson[]>(['list']).value[0]).toMatchObject({ name: null, email: 'zoe.dupont@example.org', language: 'fr' });
    expect(site.cli(['log', '--admin']).stdout).toContain('set (display_name cleared, email) by');
    // The login is untouched.
    expect(site.cli(['verify', '1001', totp()]).status).toBe(0);
  });

  it('refuses a bad value by its rule, before anything is written', () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    for (const [option, value, message] of [
      ['--email', 'not an address', '--email: a mail address must be like name@example.org'],
      ['--language', 'de', '--language: a language must be one of en, es, fr, it, ru'],
      ['--name', 'a\u202eb', '--name: a name must be 1 to 100 characters without control characters'],
      ['--name', 'x'.repeat(101), '--name: a name must be'],
    ]) {
      const r = site.cli(['set', '1001', option!, value!]);
      expect(r.status, option).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain(value);
    }
    expect(site.cli(['set', '1001']).stderr).toContain('set needs --name, --email or --language');
    expect(site.cli(['set', '9999', '--name', 'x']).status).toBe(1);
    expect(site.json<UserJson>(['show', '1001']).value).toMatchObject({ name: null, email: null, language: null });
  });

  it('travel through export and import', () => {
    const site = new CliSite();
    site.enroll('1001', '4321', SECRET, ['--name', 'Ann, "the" Admin', '--email', 'ann@example.org', '--language', 'it']);
    site.enroll('1002', null);
    const out = join(tempDir('astotp-profile-'), 'users.csv');
    expect(site.cli(['export', '--reveal-secret', '--out', out]).status).toBe(0);
    const moved = new CliSite();
    const r = moved.cli(['import', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(moved.json<UserJson[]>(['list']).value.map(({ id, name, email, language }) => ({ id, name, email, language }))).toEqual([
      { id: '1001', name: 'Ann, "the" Admin', email: 'ann@example.org', language: 'it' },
      { id: '1002', name: null, email: null, language: null },
    ]);
    // A wrong address in an import is a line error like any other.
    const bad = join(tempDir('astotp-profile-'), 'bad.csv');
    writeFileSync(bad, 'user,email\n2001,nobody\n');
    const refused = moved.cli(['import', bad]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('bad.csv line 2: a mail address must be like name@example.org');
  });
});

describe('the [web] section of astotp.conf', () => {
  it('is never read by a call: a typo there fails invite, never a call', async () => {
    const site = new CliSite();
    site.enroll('1001', '4321');
    writeFileSync(
      join(site.confDir, 'astotp.conf'),
      '[general]\ntimeout = 5\n[web]\nweb_url = ftp://nowhere\nsmpt_url = smtp://mail.example.org\nweb_url = http://twice\n',
    );
    const call = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(call.variables.ASTOTP).toBe('SUCCESS');
    const r = site.cli(['invite', '1002', '--qr', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('astotp.conf:6: key "web_url" is already set on line 4');
    expect(r.stderr).toContain('astotp.conf:4: [web] web_url: expected an http(s):// URL');
    expect(r.stderr).toContain('astotp.conf:5: [web] smpt_url: unknown setting');
  });

  it('refuses an SMTP URL with a password in it, without repeating it', () => {
    const site = new CliSite();
    writeFileSync(
      join(site.confDir, 'astotp.conf'),
      '[web]\nweb_url = https://otp.example.org\nsmtp_url = smtp://otp:hunter2@mail.example.org\n',
    );
    const r = site.cli(['invite', '1002', '--qr', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the URL holds a password (not repeated here)');
    expect(r.stderr).not.toContain('hunter2');
  });
});
