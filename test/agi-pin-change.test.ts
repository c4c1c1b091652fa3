// A PIN changed on the phone (a profile with change_pin = yes), through the
// built bundle and the scripted Asterisk, classic and FastAGI: after the
// verified login the new PIN twice, stored through the admin service
// (audit source phone), SUCCESS only then; every other ending leaves the old
// PIN and a FAILURE that says why. The real-Asterisk suite has one such call.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { AGAIN, CODE, FAILED, ID, PIN } from './helpers/prompts.js';
import { AgiServer } from './helpers/serve-agi.js';
import { totp, wrongCode } from './helpers/site.js';
import { loginOverHttp, WebClient, WebServer } from './helpers/web-server.js';

const NEW_PIN = 'otp/astotp-new-pin';
const NEW_PIN_AGAIN = 'otp/astotp-new-pin-again';
const INVALID = 'otp/astotp-pin-invalid';
const MISMATCH = 'otp/astotp-pin-mismatch';
const CHANGED = 'otp/astotp-pin-changed';
const UNCHANGED = 'otp/astotp-pin-unchanged';

const servers: Array<{ stop(): Promise<unknown> }> = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** A PBX with 1001 (PIN 4321) and the profile [pin] (change_pin = yes, 2 tries); window 2 for the codes of several calls. */
function pinSite(profile: Record<string, string | number> = {}): CliSite {
  const site = new CliSite();
  site.config({ timeout: 3, window: 2 }, { pin: { change_pin: 'yes', tries: 2, ...profile } });
  site.enroll('1001', '4321');
  return site;
}

const auditOf = (site: CliSite) =>
  site.json<Array<{ user: string; source: string; reason: string; result: string; detail: string }>>(['log', '--limit', '100']).value;

describe('a PIN changed on the phone', () => {
  it('asks for the new PIN twice after the login, stores it, and only then is SUCCESS', async () => {
    const site = pinSite();
    const r = await site.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(), '13579', '13579'] });
    expect(r.violations).toEqual([]);
    expect(r.prompts).toEqual([ID, PIN, CODE, NEW_PIN, NEW_PIN_AGAIN, CHANGED]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
    expect(r.setLog[0]).toEqual(['ASTOTP', 'FAILURE']);
    expect(r.setLog.at(-1)).toEqual(['ASTOTP', 'SUCCESS']);
    // The new PIN is the one now; the old one is refused.
    expect((await site.call({ inputs: ['1001', '4321', totp(undefined, { offset: 30 })] })).variables.ASTOTP).toBe('FAILURE');
    expect((await site.call({ inputs: ['1001', '13579', totp(undefined, { offset: 30 })] })).variables.ASTOTP).toBe('SUCCESS');
    const rows = auditOf(site);
    expect(rows.find((e) => e.reason === 'set-pin')).toMatchObject({
      user: '1001',
      source: 'phone',
      result: 'SUCCESS',
      detail: expect.stringMatching(/^set-pin by the caller \(channel .*\)$/),
    });
    // Neither PIN in any command, VERBOSE line, the stderr or the audit log.
    const said = [...r.commands.filter((c) => !c.startsWith('GET DATA')), ...r.verbose, r.stderr, JSON.stringify(rows)].join('\n');
    expect(said).not.toContain('13579');
    expect(said).not.toContain('4321');
  });

  it('takes the # typed after the code, as its prompt asks, for what it is', async () => {
    const site = pinSite({ tries: 1 });
    const r = await site.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(), '#', '13579', '13579'] });
    expect(r.prompts).toEqual([ID, PIN, CODE, NEW_PIN, NEW_PIN, NEW_PIN_AGAIN, CHANGED]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    // Only that one: a second empty entry ended by # is a try without a PIN.
    const twice = await pinSite({ tries: 1 }).call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(), '#', '#'] });
    expect(twice.prompts).toEqual([ID, PIN, CODE, NEW_PIN, NEW_PIN, UNCHANGED]);
    expectFailedClosed(twice, 'pin-unchanged');
  });

  it('leaves the old PIN and says pin-unchanged when the two differ or break the rules, within the tries', async () => {
    const site = pinSite();
    const r = await site.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(), '12', '24680', '24681'] });
    expect(r.prompts).toEqual([ID, PIN, CODE, NEW_PIN, INVALID, NEW_PIN, NEW_PIN_AGAIN, MISMATCH, UNCHANGED]);
    expectFailedClosed(r, 'pin-unchanged');
    expect((await site.call({ inputs: ['1001', '4321', totp(undefined, { offset: 30 })] })).variables.ASTOTP).toBe('SUCCESS');
    const rows = auditOf(site);
    expect(rows.some((e) => e.reason === 'set-pin')).toBe(false);
    // The login's row says ok; the call's ending says what became of the PIN, for the admin.
    expect(rows.filter((e) => e.user === '1001').map((e) => `${e.result} ${e.reason}`)).toEqual([
      'SUCCESS enroll',
      'SUCCESS ok',
      'FAILURE pin-unchanged',
      'SUCCESS ok',
    ]);
    expect(rows.find((e) => e.reason === 'pin-unchanged')!.detail).toBe(
      'login ok; PIN not changed: the new PIN typed differently the second time (2 tries)',
    );
  });

  it('ends pin-unchanged when nothing is typed, and hangup when the caller hangs up, the old PIN kept', async () => {
    const silent = pinSite();
    const r = await silent.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp()] });
    expect(r.prompts).toEqual([ID, PIN, CODE, NEW_PIN, NEW_PIN, UNCHANGED]);
    expectFailedClosed(r, 'pin-unchanged');
    const gone = pinSite();
    const h = await gone.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(), '24680', { hangup: 'sighup' }] });
    expectFailedClosed(h, 'hangup');
    expect(auditOf(gone).at(-1)).toMatchObject({ user: '1001', reason: 'hangup' });
    expect((await gone.call({ inputs: ['1001', '4321', totp(undefined, { offset: 30 })] })).variables.ASTOTP).toBe('SUCCESS');
  });

  it('never asks a caller who did not log in', async () => {
    const site = pinSite();
    const r = await site.call({ args: ['profile=pin'], inputs: ['1001', '9999', totp(), '1001', '4321', wrongCode(), '13579', '13579'] });
    expect(r.prompts).toEqual([ID, PIN, CODE, AGAIN, ID, PIN, CODE, FAILED]);
    expectFailedClosed(r, 'bad-credentials');
  });

  it("ends the user's web logins, as a PIN changed anywhere does", async () => {
    const site = pinSite();
    writeFileSync(join(site.confDir, 'astotp.conf'), '\n[web]\nweb_url = https://otp.example.org\n', { flag: 'a' });
    const web = await WebServer.start(site.env);
    servers.push(web);
    const client = new WebClient(web.origin);
    expect((await loginOverHttp(client, '1001', '4321', totp())).status).toBe(303);
    expect((await client.get('/account')).status).toBe(200);
    const r = await site.call({ args: ['profile=pin'], inputs: ['1001', '4321', totp(undefined, { offset: 30 }), '13579', '13579'] });
    expect(r.variables.ASTOTP).toBe('SUCCESS');
    expect((await client.get('/account')).headers.location).toBe('/login');
  });

  it('works the same over FastAGI', async () => {
    const site = pinSite();
    const server = await AgiServer.start(site.env);
    servers.push(server);
    const r = await fastAgiCall({ port: server.port, script: 'otp?profile=pin', inputs: ['1001', '4321', totp(), '97531', '97531'] });
    expect(r.prompts).toEqual([ID, PIN, CODE, NEW_PIN, NEW_PIN_AGAIN, CHANGED]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    expect((await fastAgiCall({ port: server.port, inputs: ['1001', '97531', totp(undefined, { offset: 30 })] })).variables.ASTOTP).toBe(
      'SUCCESS',
    );
  });

  it('is refused where the login asks no PIN or is pbotp, and is no key of [general]', () => {
    const noPin = new CliSite();
    noPin.config({}, { pin: { change_pin: 'yes', ask_pin: 'no' } });
    expect(noPin.cli(['doctor']).stdout).toMatch(
      /\[pin\] change_pin: a login without the PIN cannot set a new one \(change_pin needs ask_pin = yes\)/,
    );
    const pbotp = new CliSite();
    pbotp.config({}, { pin: { change_pin: 'yes', mode: 'pbotp' } });
    expect(pbotp.cli(['doctor']).stdout).toMatch(/\[pin\] change_pin: a pbotp call asks for no PIN/);
    const general = new CliSite();
    general.config({ change_pin: 'yes' });
    expect(general.cli(['doctor']).stdout).toMatch(/change_pin: unknown setting/);
  });
});
