// What a caller types at the ID prompt may be a PIN or a code typed out of
// turn: an ID that belongs to nobody never reaches VERBOSE, the audit log or
// the pbotp throttle table as typed, only masked. Through the built bundle.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { expectFailedClosed } from './helpers/failed-closed.js';
import { AUTHORITY_PUB, rightCode, wrongCode as wrongResponse } from './helpers/pbotp-authority.js';
import { Site, totp, wrongCode } from './helpers/site.js';

const MASKED = /^unknown:4d:[0-9a-f]{8}$/;
/** The typed ID as a word of its own: a masked form's hex may contain the digits, never on their own. */
const RAW_9999 = /\b9999\b/;

interface AuditRow {
  user: string | null;
  result: string;
  reason: string;
}

const sites: Site[] = [];
afterEach(() => {
  for (const site of sites.splice(0)) rmSync(site.astDir, { recursive: true, force: true });
});

function newSite(conf: Record<string, string | number>): Site {
  const site = new Site();
  sites.push(site);
  site.config({ timeout: 5, tries: 1, ...conf });
  return site;
}

function log(site: Site, args: string[] = []): { text: string; rows: AuditRow[] } {
  const r = site.cli(['log', '--json', ...args]);
  expect(r.status).toBe(0);
  // The calls' rows: enroll's own row (source admin) is no call's.
  return { text: r.stdout, rows: (JSON.parse(r.stdout) as Array<AuditRow & { source: string }>).filter((e) => e.source !== 'admin') };
}

/** Reads the site's database directly, as an attacker with a copy of it would. */
async function throttleIds(site: Site): Promise<string[]> {
  const store = await openStore(site.db, { create: false });
  try {
    return await store.read((t) => t.throttle.idsStartingWith(''));
  } finally {
    await store.close();
  }
}

describe('a TOTP call', () => {
  it('logs an unknown typed ID masked, the same mask for each try, and log --user finds it', async () => {
    const site = newSite({ tries: 2 });
    site.enroll('1001', '4321');
    const r = await site.call({ inputs: ['9999', '4321', totp(), '9999', '4321', totp()] });
    expectFailedClosed(r, 'bad-credentials');
    const tries = r.verbose.filter((v) => / user /.test(v));
    expect(tries).toHaveLength(2);
    const masked = /user (\S+): FAILURE/.exec(tries[0] ?? '')?.[1] ?? '';
    expect(masked).toMatch(MASKED);
    expect(tries).toEqual([
      `astotp: try 1: user ${masked}: FAILURE (bad-credentials)`,
      `astotp: try 2: user ${masked}: FAILURE (bad-credentials)`,
    ]);
    expect([...r.commands.filter((c) => !c.startsWith('GET DATA')), r.stderr].join('\n')).not.toMatch(RAW_9999);

    const all = log(site);
    expect(all.text).not.toMatch(RAW_9999);
    expect(all.rows.map((e) => e.user)).toEqual([masked, masked]);
    expect(log(site, ['--user', '9999']).rows).toHaveLength(2);
    expect(log(site, ['--user', masked]).rows).toHaveLength(2);
    expect(log(site, ['--user', '9998']).rows).toEqual([]);
  });

  it('logs a known user’s failure under the ID, as before', async () => {
    const site = newSite({});
    site.enroll('1001', '4321');
    const r = await site.call({ inputs: ['1001', '4321', wrongCode()] });
    expect(r.verbose).toContain('astotp: try 1: user 1001: FAILURE (bad-credentials)');
    expect(log(site).rows.map((e) => [e.user, e.reason])).toEqual([['1001', 'bad-credentials']]);
  });
});

describe('a pbotp call', { timeout: 30_000 }, () => {
  const LOGIN = { group: 'dev', host: 'pbx1', user: '9999' };

  function pbotpSite(conf: Record<string, string | number> = {}): Site {
    const site = newSite({ mode: 'pbotp', pbotp_pubkey: AUTHORITY_PUB, pbotp_group: 'dev', pbotp_host: 'pbx1', pbotp_timeout: 5, ...conf });
    expect(site.cli(['init']).status).toBe(0);
    return site;
  }

  it('keeps the typed ID of a failed try out of VERBOSE, the audit log and the throttle table; unlock still finds it', async () => {
    const site = pbotpSite({ lockout_failures: 1 });
    const r = await site.call({ inputs: ['9999', wrongResponse(LOGIN)] });
    expectFailedClosed(r, 'bad-credentials');
    expect(r.verbose.find((v) => / user /.test(v))).toMatch(/^astotp: try 1: user unknown:4d:[0-9a-f]{8}: FAILURE \(bad-credentials\)$/);
    expect([...r.verbose, r.stderr].join('\n')).not.toMatch(RAW_9999);
    expect(log(site).text).not.toMatch(RAW_9999);
    expect(log(site, ['--user', '9999']).rows.map((e) => e.user)).toEqual([expect.stringMatching(MASKED)]);
    const ids = await throttleIds(site);
    expect(ids).toEqual([expect.stringMatching(/^pbotp-mac:[0-9a-f]{32}$/)]);
    expect(ids.join()).not.toMatch(RAW_9999);

    const locked = await site.call({ inputs: ['9999', rightCode(LOGIN)] });
    expect(locked.variables.ASTOTP_REASON).toBe('locked');
    expect(site.cli(['unlock', '9999']).stdout).toMatch(/pbotp lockout of 9999 cleared/);
    expect(await throttleIds(site)).toEqual([]);
    const after = await site.call({ inputs: ['9999', rightCode(LOGIN)] });
    expect(after.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '9999' });
    // Proved by the authority's response: from now on the ID itself.
    expect(after.verbose).toContain('astotp: try 1: user 9999: SUCCESS');
    expect(log(site).rows.at(-1)).toMatchObject({ user: '9999', result: 'SUCCESS' });
  });

  it('honours a lock an earlier version stored under the typed ID, and unlock ends it', async () => {
    const site = pbotpSite();
    const now = Math.floor(Date.now() / 1000);
    const store = await openStore(site.db, { create: false });
    try {
      await store.exclusive(async (t) => {
        for (const id of ['pbotp:9999', 'pbotp:1002']) await t.throttle.put(id, { failures: 0, locked_until: now + 900 }, now);
      });
    } finally {
      await store.close();
    }
    // unlock before any call has moved the rows finds a raw one too.
    expect(site.cli(['unlock', '1002']).stdout).toMatch(/pbotp lockout of 1002 cleared/);

    const locked = await site.call({ inputs: ['9999', rightCode(LOGIN)] });
    expect(locked.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    expect(locked.said).toEqual([]);
    expect(await throttleIds(site)).toEqual([expect.stringMatching(/^pbotp-mac:/)]);
    expect(site.cli(['unlock', '9999']).status).toBe(0);
    const after = await site.call({ inputs: ['9999', rightCode(LOGIN)] });
    expect(after.variables.ASTOTP).toBe('SUCCESS');
  });
});
