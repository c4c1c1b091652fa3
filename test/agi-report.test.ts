// The result's own report cut short: the caller hangs up, or Asterisk answers
// garbage, at each SET VARIABLE that tells the dialplan how the call ended.
// The call must still end as any ended call does (exit 0, no crash), say what
// it still can, and never leave SUCCESS that Asterisk did not acknowledge.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult, Interruption } from './helpers/asterisk-peer.js';
import { fastAgiCall } from './helpers/fastagi-peer.js';
import { AgiServer } from './helpers/serve-agi.js';
import { Site, totp, wrongCode } from './helpers/site.js';

const sites: Site[] = [];
const servers: AgiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  for (const site of sites.splice(0)) rmSync(site.astDir, { recursive: true, force: true });
});

function siteWithUser(): Site {
  const site = new Site();
  sites.push(site);
  site.config({ timeout: 5, tries: 1 });
  site.enroll('1001', '4321');
  return site;
}

interface AuditRow {
  user: string | null;
  result: string;
  reason: string;
  detail: string | null;
}

/** The calls' rows: enroll's own row (source admin) is no call's. */
function audit(site: Site): AuditRow[] {
  return (JSON.parse(site.cli(['log', '--json']).stdout) as Array<AuditRow & { source: string }>).filter((r) => r.source !== 'admin');
}

const HOWS: Array<Interruption['how']> = ['sighup', 'result', '511', 'eof', 'garbage', '510', 'result0'];

/** Whatever the interruption: the process ends as any call does, with nothing for Asterisk to choke on. */
function endedCleanly(r: CallResult): void {
  expect(r.signal).toBeNull();
  expect(r.exitCode).toBe(0);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(r.violations).toEqual([]);
}

/** What the dialplan reads once the call is over. */
function varsAfter(r: CallResult): Record<string, string> {
  return r.variables;
}

describe('a verified call whose result report is cut short', () => {
  const commands = ['SET VARIABLE ASTOTP_REASON', 'SET VARIABLE ASTOTP_USER', 'SET VARIABLE ASTOTP "SUCCESS"'];
  for (const at of commands) {
    for (const how of HOWS) {
      it(`${how} at ${at}`, async () => {
        const site = siteWithUser();
        const r = await site.call({ inputs: ['1001', '4321', totp()], interrupt: { at, how } });
        endedCleanly(r);
        const rows = audit(site);
        expect(rows[0]).toMatchObject({ user: '1001', result: 'SUCCESS', reason: 'ok' });
        if (how === 'sighup') {
          // A dead channel still acknowledges variables: the report went through whole.
          expect(varsAfter(r)).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_REASON: 'ok', ASTOTP_USER: '1001' });
          expect(rows).toHaveLength(1);
          return;
        }
        const reason = ['garbage', '510', 'result0'].includes(how) ? 'error' : 'hangup';
        expect(rows).toHaveLength(2);
        expect(rows[1]).toMatchObject({ user: '1001', result: 'FAILURE', reason });
        expect(rows[1]?.detail).toMatch(/^ok not reported: /);
        // Whatever the channel was told, it ends holding FAILURE.
        expect(varsAfter(r).ASTOTP).toBe('FAILURE');
        const atSuccess = at.endsWith('"SUCCESS"');
        const successAt = r.setLog.findIndex(([n, v]) => n === 'ASTOTP' && v === 'SUCCESS');
        // FAILURE is set over a SUCCESS that may have taken, and the audit row says it was acknowledged.
        if (atSuccess && how !== 'eof') expect(rows[1]?.detail).toMatch(/; ASTOTP=FAILURE set over it and acknowledged$/);
        else expect(rows[1]?.detail).not.toMatch(/ASTOTP=/);
        if (how === 'result' || how === '511') {
          // The transport still takes variables after the hangup: the dialplan reads the real ending.
          expect(varsAfter(r)).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'hangup', ASTOTP_USER: '' });
          expect(r.verbose.at(-1)).toBe('astotp: result FAILURE (hangup)');
        } else if (how === 'eof') {
          // Nothing more can be said; SUCCESS was never sent or never run.
          expect(successAt).toBe(-1);
        } else if (how === 'garbage') {
          // Asterisk ran the command it garbled the answer to; after it only FAILURE is sent, once, and only over a SUCCESS.
          if (atSuccess) {
            expect(r.commands.slice(-2)).toEqual([at, 'SET VARIABLE ASTOTP "FAILURE"']);
            expect(r.setLog.slice(-2)).toEqual([
              ['ASTOTP', 'SUCCESS'],
              ['ASTOTP', 'FAILURE'],
            ]);
          } else {
            expect(r.commands.at(-1)).toMatch(new RegExp(`^${at}`));
            expect(successAt).toBe(-1);
          }
          expect(r.stderr).toMatch(/^astotp: unexpected line from Asterisk \(\d+ chars\) after SET VARIABLE\n$/);
        } else {
          // 510 or result=0: the conversation is still in step, so the ending is told in full.
          expect(varsAfter(r)).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error', ASTOTP_USER: '' });
          expect(varsAfter(r).ASTOTP_ERROR).toMatch(how === '510' ? /SET VARIABLE refused \(510\)/ : /a result other than 1/);
          expect(r.setLog.filter(([n, v]) => n === 'ASTOTP' && v === 'SUCCESS')).toHaveLength(atSuccess && how === 'result0' ? 1 : 0);
        }
      });
    }
  }

  it('says the channel is in an unknown state when the FAILURE set over a garbled SUCCESS is garbled too', async () => {
    const site = siteWithUser();
    const interrupt = [
      { at: 'SET VARIABLE ASTOTP "SUCCESS"', how: 'garbage' as const },
      { at: 'SET VARIABLE ASTOTP "FAILURE"', how: 'garbage' as const },
    ];
    const r = await site.call({ inputs: ['1001', '4321', totp()], interrupt });
    endedCleanly(r);
    // Sent once, and nothing after it.
    expect(r.commands.slice(-2)).toEqual(['SET VARIABLE ASTOTP "SUCCESS"', 'SET VARIABLE ASTOTP "FAILURE"']);
    expect(audit(site)[1]?.detail).toMatch(/; ASTOTP unknown: FAILURE sent over it without an acknowledgement$/);
  });
});

describe('a failed call whose result report is cut short', () => {
  const cases: Array<{ name: string; args: string[]; inputs: string[]; reason: string; commands: string[] }> = [
    {
      name: 'wrong code',
      args: [],
      inputs: ['1001', '4321', wrongCode()],
      reason: 'bad-credentials',
      commands: ['SET VARIABLE ASTOTP_REASON', 'SET VARIABLE ASTOTP_USER'],
    },
    {
      name: 'error',
      args: ['pim=no'],
      inputs: [],
      reason: 'error',
      commands: ['SET VARIABLE ASTOTP_REASON', 'SET VARIABLE ASTOTP_USER', 'SET VARIABLE ASTOTP_ERROR'],
    },
  ];
  for (const c of cases) {
    for (const at of c.commands) {
      for (const how of HOWS) {
        it(`${c.name}: ${how} at ${at}`, async () => {
          const site = siteWithUser();
          const r = await site.call({ args: c.args, inputs: c.inputs, interrupt: { at, how } });
          endedCleanly(r);
          expect(r.setLog.some(([, v]) => v === 'SUCCESS')).toBe(false);
          expect(varsAfter(r).ASTOTP).toBe('FAILURE');
          // An error stays the reason: it came first, and ASTOTP_ERROR says what it was.
          const reason =
            how === 'sighup' || c.reason === 'error' ? c.reason : ['garbage', '510', 'result0'].includes(how) ? 'error' : 'hangup';
          // A refused dialplan argument is audited too: the database is opened before the arguments are read.
          expect(audit(site).at(-1)).toMatchObject({ result: 'FAILURE', reason });
          if (c.reason === 'error') expect(r.stderr).toMatch(/^astotp: unknown argument .pim.=/m);
          if (['sighup', 'result', '511', '510', 'result0'].includes(how)) {
            expect(varsAfter(r)).toMatchObject({ ASTOTP_REASON: reason, ASTOTP_USER: '' });
            if (c.reason === 'error') expect(varsAfter(r).ASTOTP_ERROR).toMatch(/unknown argument .pim.=/);
          }
        });
      }
    }
  }
});

describe('a FastAGI call whose result report is cut short', () => {
  it('logs the ending the dialplan saw, and the server serves the next call', async () => {
    const site = siteWithUser();
    site.enroll('1002', '4321');
    const server = await AgiServer.start(site.env);
    servers.push(server);
    const call = (user: string, at: string, how: Interruption['how']) =>
      fastAgiCall({ port: server.port, inputs: [user, '4321', totp()], interrupt: { at, how } });
    const garbled = await call('1001', 'SET VARIABLE ASTOTP "SUCCESS"', 'garbage');
    // FAILURE over the SUCCESS Asterisk may have run.
    expect(garbled.setLog.slice(-2)).toEqual([
      ['ASTOTP', 'SUCCESS'],
      ['ASTOTP', 'FAILURE'],
    ]);
    const hungUp = await call('1002', 'SET VARIABLE ASTOTP_REASON', '511');
    expect(hungUp.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'hangup', ASTOTP_USER: '' });
    const next = await fastAgiCall({ port: server.port, args: ['user=1001'], inputs: ['4321', wrongCode()] });
    expect(next.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    const endings = (): string[] => server.log.split('\n').flatMap((l) => /^astotp serve-agi: call .*\): (.*)$/.exec(l)?.slice(1) ?? []);
    await until(() => endings().length === 3, 'three calls in the log');
    expect(endings()).toEqual([
      'FAILURE (error: unexpected line from Asterisk (13 chars) after SET VARIABLE)',
      'FAILURE (hangup)',
      'FAILURE (bad-credentials)',
    ]);
    expect(server.log).not.toMatch(/internal error|\n\s+at /);
    expect(audit(site).map((e) => [e.user, e.reason])).toEqual([
      ['1001', 'ok'],
      ['1001', 'error'],
      ['1002', 'ok'],
      ['1002', 'hangup'],
      ['1001', 'bad-credentials'],
    ]);
  });
});

/** Resolves when check() holds: the server logs a call after Asterisk has seen its end. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a session with a line before its first command that answers nothing', () => {
  // Asterisk never sends these: the conversation cannot be trusted from the start.
  const extras: Array<[string, string, RegExp]> = [
    ['a blank line', '\n', /^unexpected line from Asterisk \(0 chars\)$/],
    ['a reply to no command', '200 result=1\n', /^reply with no command pending$/],
    ['a garbled line', 'garbled\n', /^unexpected line from Asterisk \(7 chars\)$/],
  ];
  for (const [name, afterHeader, detail] of extras) {
    it(`${name}: FAILURE sent once, nothing else, reason error in the audit log (classic)`, async () => {
      const site = siteWithUser();
      const r = await site.call({ inputs: ['1001', '4321', totp()], afterHeader });
      endedCleanly(r);
      expect(r.commands).toEqual(['SET VARIABLE ASTOTP "FAILURE"']);
      expect(varsAfter(r)).toEqual({ ASTOTP: 'FAILURE' });
      const rows = audit(site);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ user: null, result: 'FAILURE', reason: 'error' });
      expect(rows[0]?.detail).toMatch(detail);
    });
  }

  it('a garbled answer to the first SET VARIABLE: the same ending, audited, nothing sent after it', async () => {
    const site = siteWithUser();
    const r = await site.call({ inputs: ['1001', '4321', totp()], interrupt: { at: 'SET VARIABLE ASTOTP "FAILURE"', how: 'garbage' } });
    endedCleanly(r);
    expect(r.commands).toEqual(['SET VARIABLE ASTOTP "FAILURE"']);
    expect(audit(site)).toMatchObject([
      { user: null, result: 'FAILURE', reason: 'error', detail: 'unexpected line from Asterisk (13 chars) after SET VARIABLE' },
    ]);
  });

  it('ends a FastAGI call the same way, and the server serves the next one', async () => {
    const site = siteWithUser();
    const server = await AgiServer.start(site.env);
    servers.push(server);
    const r = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', totp()], afterHeader: '\n' });
    expect(r.commands).toEqual(['SET VARIABLE ASTOTP "FAILURE"']);
    await until(() => /: FAILURE \(error: unexpected line from Asterisk \(0 chars\)\)/.test(server.log), 'the call in the log');
    expect(audit(site)).toMatchObject([{ result: 'FAILURE', reason: 'error', detail: 'unexpected line from Asterisk (0 chars)' }]);
    const next = await fastAgiCall({ port: server.port, inputs: ['1001', '4321', totp()] });
    expect(next.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  });
});
