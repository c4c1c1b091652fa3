// A user's own account on the web, over plain HTTP against the built
// bundle's serve-web: the login judged exactly as a call is (codes, lockout,
// one answer for every failure, throttling per address), sessions (cookie,
// a new ID at login, ended by changes made anywhere), every change asking
// for the PIN and a fresh code first, the lost phone, activity, logging
// out; CSRF and headers as for the enrolment. Expiry on a test clock and
// several servers on one PostgreSQL at the end. The real browser's flows
// are in web-browser.test.ts.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { serveOnClock } from './helpers/web-clock.js';
import { recoveryEntry, SECRET, type Site, totp, totpAt, wrongCode } from './helpers/site.js';
import {
  csrfOf,
  invite,
  loginOverHttp,
  recoveryCodesOf,
  secretOf,
  sessionCsrf,
  WebClient,
  type WebResponse,
  WebServer,
} from './helpers/web-server.js';

const servers: WebServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

const PIN = '4321';
const REFUSED = 'That did not work: the user ID, PIN or code is not right, or this account cannot log in now.';
const CONFIRM_REFUSED = 'That did not work: the PIN or the code is not right.';

/**
 * astotp.conf with [general] and [web]. window = 4: a test types codes of
 * several steps in a row (login, a confirmation, a call), each newer than
 * the last, all within the window of now.
 */
function configure(site: Site, general: Record<string, string | number> = {}): void {
  const lines = Object.entries({ timeout: 5, window: 4, ...general })
    .map(([k, v]) => `${k} = ${v}\n`)
    .join('');
  writeFileSync(join(site.confDir, 'astotp.conf'), `[general]\n${lines}[web]\nweb_url = https://otp.example.org\n`);
}

async function webSite(general: Record<string, string | number> = {}, args: string[] = []) {
  const site = new CliSite();
  configure(site, general);
  site.enroll('1001', PIN);
  const server = await WebServer.start(site.env, args);
  servers.push(server);
  return { site, server, client: new WebClient(server.origin) };
}

const auditOf = (site: CliSite) =>
  site.json<Array<{ user: string; source: string; reason: string; result: string; detail: string; caller_id: string; channel: string }>>([
    'log',
    '--limit',
    '1000',
  ]).value;

/** The code `steps` periods from now. */
const code = (steps: number, secret = SECRET) => totp(secret, { offset: steps * 30 });

/** Logged in as 1001 with the current code; the client holds the session. */
async function loggedIn(client: WebClient, user = '1001', pin = PIN, c = code(0)): Promise<WebResponse> {
  const r = await loginOverHttp(client, user, pin, c);
  expect(r.status, r.body).toBe(303);
  return r;
}

/** The login sessions of 1001 in the site's database. */
function sessionRows(site: Site): number {
  const db = new Database(site.db, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM web_sessions WHERE user_id = '1001' AND kind = 'account'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** `astotp recovery 1001`: a new set, as printed. */
const recoveryCodesFromCli = (site: CliSite) => [...site.cli(['recovery', '1001']).stdout.matchAll(/^ {2}(\d{8})$/gm)].map((m) => m[1]!);

const call = (site: Site, pin: string, c: string) => site.call({ inputs: ['1001', pin, c], replyDelayMs: 0 });

describe('logging in on the web', () => {
  it('logs in with ID, PIN and code into a session cookie, shows the account with every security header', async () => {
    const { site, client } = await webSite();
    const page = await client.get('/login');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<label for="user">User ID</label>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    const r = await loginOverHttp(client, '1001', PIN, code(0));
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/account');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/^astotp-login=[\w-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    const account = await client.get('/account');
    expect(account.status).toBe(200);
    expect(account.body).toContain('Logged in as user ID 1001.');
    expect(account.body).toContain('Recovery codes left: 5.');
    expect(account.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    // The cookie's value is stored nowhere, only its hash; the PIN and code nowhere at all.
    expect(JSON.stringify(auditOf(site))).not.toContain(client.cookies.get('astotp-login')!);
    expect(auditOf(site).at(-1)).toMatchObject({
      source: 'web',
      reason: 'ok',
      detail: 'PIN and code ok (token app)',
      channel: 'web/login',
    });
    // Without a session the account's pages lead to the login.
    const stranger = await new WebClient(client.origin).get('/account/pin');
    expect(stranger.status).toBe(303);
    expect(stranger.headers.location).toBe('/login');
  });

  it('makes a new session at every login and ends the one the browser brought', async () => {
    const { client, server } = await webSite();
    await loggedIn(client);
    const first = client.cookies.get('astotp-login')!;
    await loggedIn(client, '1001', PIN, code(1));
    const second = client.cookies.get('astotp-login')!;
    expect(second).not.toBe(first);
    const old = new WebClient(server.origin);
    old.cookies.set('astotp-login', first);
    expect((await old.get('/account')).headers.location).toBe('/login');
    expect((await client.get('/account')).status).toBe(200);
  });

  it('shares replay marks with calls: a code used on the web is refused on the phone, and the other way round', async () => {
    const { site, client } = await webSite();
    const c = code(0);
    await loggedIn(client, '1001', PIN, c);
    expect((await call(site, PIN, c)).variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    const next = code(1);
    expect((await call(site, PIN, next)).variables.ASTOTP).toBe('SUCCESS');
    const other = new WebClient(client.origin);
    const replayed = await loginOverHttp(other, '1001', PIN, next);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain(REFUSED);
    const rows = auditOf(site).filter((e) => e.source === 'web');
    expect(rows.map((e) => e.reason)).toEqual(['ok', 'bad-credentials']);
    expect(rows[1]).toMatchObject({ user: '1001', detail: 'replayed code (token app)', caller_id: '127.0.0.1', channel: 'web/login' });
  });

  it('gives every failure the same answer, and counts web failures towards the call lockout', async () => {
    const { site, client } = await webSite({ lockout_failures: 3 });
    site.enroll('1002', PIN);
    site.enroll('1003', PIN);
    expect(site.cli(['disable', '1002']).status).toBe(0);
    invite(site, '1004');
    const answers: string[] = [];
    const failing: Array<[string, string, string]> = [
      ['1001', '9999', code(0)], // wrong PIN
      ['1001', PIN, wrongCode()], // wrong code
      ['7777', PIN, code(0)], // unknown
      ['1002', PIN, code(0)], // disabled
      ['1004', PIN, code(0)], // invited, not enrolled
      ['1001', PIN, '*12345678'], // a recovery code it does not have
    ];
    for (const [user, pin, c] of failing) {
      const r = await loginOverHttp(client, user, pin, c);
      expect(r.status, user).toBe(400);
      expect(r.headers['set-cookie'] ?? '', user).not.toContain('astotp-login');
      answers.push(r.body.replace(`value="${user}"`, 'value="USER"'));
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain(REFUSED);
    // Three failures of 1001 on the web: locked for calls too, and a locked user's login looks the same again.
    const locked = await call(site, PIN, code(1));
    expect(locked.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'locked' });
    const lockedWeb = await loginOverHttp(client, '1001', PIN, code(2));
    expect(lockedWeb.body.replace('value="1001"', 'value="USER"')).toBe(answers[0]);
    expect(
      auditOf(site)
        .filter((e) => e.user === '1001' && e.source === 'web')
        .map((e) => e.reason),
    ).toEqual(['bad-credentials', 'bad-credentials', 'bad-credentials', 'locked']);
    // The user 1003 was never named: nothing counted against it.
    await loggedIn(new WebClient(client.origin), '1003', PIN, code(0));
  });

  it('throttles failed logins per client address, apart from the user lockout', async () => {
    const { site, server } = await webSite({ lockout_failures: 1000 }, ['--trust-proxy', '127.0.0.1']);
    const from = (addr: string) => new WebClient(server.origin, { headers: { 'x-forwarded-for': addr } });
    const spray = from('198.51.100.7');
    for (let i = 0; i < 19; i++) expect((await loginOverHttp(spray, `9${i}`, PIN, '123456')).status).toBe(400);
    const twentieth = await loginOverHttp(spray, '920', PIN, '123456');
    expect(twentieth.status).toBe(429);
    expect(twentieth.body).toMatch(/Too many failed logins came from your network\. Try again after .* UTC\./);
    // Refused before anything is judged: the right credentials from there do not get in, and are not used up.
    const page = await spray.get('/login');
    expect(page.status).toBe(429);
    const c = code(0);
    expect((await spray.post('/login', { csrf: 'x', user: '1001', pin: PIN, code: c })).status).toBe(403);
    // Another network logs in with that very code.
    await loggedIn(from('203.0.113.9'), '1001', PIN, c);
    expect(auditOf(site).filter((e) => e.source === 'web' && e.result === 'SUCCESS')).toHaveLength(1);
  });

  it('refuses a login or a change posted from another site, or without the form token, and counts nothing', async () => {
    const { site, client } = await webSite();
    const page = await client.get('/login');
    const csrf = csrfOf(page.body);
    const form = { csrf, user: '1001', pin: PIN, code: code(0) };
    const forged: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      {},
    ];
    for (const headers of forged) {
      const r = await client.post('/login', form, headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    expect((await client.post('/login', { ...form, csrf: '' })).status).toBe(403);
    expect(auditOf(site).filter((e) => e.source === 'web')).toEqual([]);
    await loggedIn(client);
    const token = await sessionCsrf(client, '/account/pin');
    const change = { csrf: token, pin: PIN, code: code(1), new_pin: '5555', new_pin_again: '5555' };
    expect((await client.post('/account/pin', change, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    // The login form's token is not the session's.
    expect((await client.post('/account/pin', { ...change, csrf })).status).toBe(403);
    expect((await client.post('/account/logout-all', { csrf })).status).toBe(403);
    expect((await call(site, PIN, code(1))).variables.ASTOTP).toBe('SUCCESS');
  });
});

describe('what a logged-in user changes', () => {
  it('asks for the PIN and a fresh code before a new PIN, then ends every session', async () => {
    const { site, client } = await webSite();
    const login = code(0);
    await loggedIn(client, '1001', PIN, login);
    const other = new WebClient(client.origin);
    await loggedIn(other, '1001', PIN, code(1));
    const csrf = await sessionCsrf(client, '/account/pin');
    const post = (form: Record<string, string>) => client.post('/account/pin', { csrf, new_pin: '2580', new_pin_again: '2580', ...form });
    // The session alone, the login's code again, a wrong PIN: refused alike, nothing changed.
    const refused: Record<string, string>[] = [{}, { pin: PIN, code: login }, { pin: '1111', code: code(2) }];
    for (const form of refused) {
      const r = await post(form);
      expect(r.status, JSON.stringify(form)).toBe(400);
      expect(r.body).toContain(CONFIRM_REFUSED);
    }
    // A new PIN against the rules is told at its field, before any code is judged.
    const bad = await post({ pin: PIN, code: code(2), new_pin: '12' });
    expect(bad.body).toMatch(/<p class="error" id="new_pin-error">A PIN is 4 to 12 digits\.<\/p>/);
    expect((await post({ pin: PIN, code: code(2), new_pin_again: '2581' })).body).toContain('The two PINs are not the same.');
    const mine = client.cookies.get('astotp-login')!;
    const done = await post({ pin: PIN, code: code(2) });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your PIN is changed');
    expect(String(done.headers['set-cookie'])).toMatch(/^astotp-login=; Path=\/; Max-Age=0;/);
    // Every session ended: this one (its cookie brought back) and the other browser's.
    client.cookies.set('astotp-login', mine);
    for (const c of [client, other]) expect((await c.get('/account')).headers.location).toBe('/login');
    expect((await call(site, PIN, code(3))).variables.ASTOTP).toBe('FAILURE');
    expect((await call(site, '2580', code(3))).variables.ASTOTP).toBe('SUCCESS');
    const rows = auditOf(site).filter((e) => e.source === 'web');
    expect(rows.find((e) => e.reason === 'set-pin')).toMatchObject({ user: '1001', detail: 'set-pin by web login from 127.0.0.1' });
    expect(rows.filter((e) => e.channel === 'web/set-pin').map((e) => e.reason)).toEqual([
      'bad-credentials',
      'bad-credentials',
      'bad-credentials',
      'ok',
    ]);
    expect(JSON.stringify(auditOf(site))).not.toContain('2580');
  });

  it('makes new recovery codes after PIN and a fresh code, shown once; older ones stop working', async () => {
    const { site, client } = await webSite();
    const old = recoveryCodesFromCli(site);
    expect(old).toHaveLength(5);
    await loggedIn(client);
    const csrf = await sessionCsrf(client, '/account/recovery');
    expect((await client.post('/account/recovery', { csrf, pin: PIN, code: code(0) })).status).toBe(400);
    const done = await client.post('/account/recovery', { csrf, pin: PIN, code: code(1) });
    expect(done.status).toBe(200);
    const fresh = recoveryCodesOf(done.body);
    expect(fresh).toHaveLength(5);
    // Still logged in: new codes end no session.
    expect((await client.get('/account')).body).toContain('Recovery codes left: 5.');
    expect((await site.call({ inputs: ['1001', PIN, ...recoveryEntry(old[0]!)] })).variables.ASTOTP).toBe('FAILURE');
    expect((await site.call({ inputs: ['1001', PIN, ...recoveryEntry(fresh[0]!)] })).variables.ASTOTP).toBe('SUCCESS');
    expect(auditOf(site).find((e) => e.reason === 'recovery' && e.source === 'web')).toMatchObject({
      detail: 'recovery (5 new codes) by web login from 127.0.0.1',
    });
  });

  it('moves to a new phone: the new key after PIN and a fresh code, the old one working until the new app confirms', async () => {
    const { site, client } = await webSite();
    await loggedIn(client);
    const csrf = await sessionCsrf(client, '/account/phone');
    expect((await client.post('/account/phone', { csrf, step: 'start', pin: PIN, code: code(0) })).body).toContain(CONFIRM_REFUSED);
    const started = await client.post('/account/phone', { csrf, step: 'start', pin: PIN, code: code(1) });
    expect(started.status).toBe(303);
    const setup = await client.get('/account/phone');
    const secret = secretOf(setup.body);
    expect(secret).not.toBe(SECRET);
    expect(setup.body).toContain('otpauth://totp/Asterisk:1001?');
    // Until confirmed, the old phone works and the new one does not.
    expect((await call(site, PIN, code(2, secret))).variables.ASTOTP).toBe('FAILURE');
    expect((await call(site, PIN, code(2))).variables.ASTOTP).toBe('SUCCESS');
    const wrong = await client.post('/account/phone', { csrf, step: 'confirm', code: wrongCode(secret) });
    expect(wrong.status).toBe(400);
    expect(secretOf(wrong.body)).toBe(secret);
    const confirming = code(0, secret);
    const done = await client.post('/account/phone', { csrf, step: 'confirm', code: confirming });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your new phone is set up');
    expect((await client.get('/account')).headers.location).toBe('/login');
    expect((await call(site, PIN, code(3))).variables.ASTOTP).toBe('FAILURE');
    // The confirming code is used up; the next one of the new phone logs in.
    expect((await call(site, PIN, confirming)).variables.ASTOTP).toBe('FAILURE');
    expect((await call(site, PIN, code(2, secret))).variables.ASTOTP).toBe('SUCCESS');
    expect(auditOf(site).find((e) => e.reason === 'reset')).toMatchObject({ source: 'web', detail: 'reset by web login from 127.0.0.1' });
  });

  it('lets a user without the phone in with PIN and a recovery code, straight into the move to a new phone', async () => {
    const { site, client } = await webSite();
    const codes = recoveryCodesFromCli(site);
    const r = await loginOverHttp(client, '1001', PIN, `*${codes[0]!.slice(0, 4)} ${codes[0]!.slice(4)}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/account/phone');
    const setup = await client.get('/account/phone');
    expect(setup.body).toContain('You logged in with a recovery code: set up your new phone now.');
    const secret = secretOf(setup.body);
    const done = await client.post('/account/phone', { csrf: csrfOf(setup.body), step: 'confirm', code: code(0, secret) });
    expect(done.status).toBe(200);
    expect((await call(site, PIN, code(1, secret))).variables.ASTOTP).toBe('SUCCESS');
    // One recovery code spent, the others good.
    expect(site.json<{ recovery_codes_left: number }>(['show', '1001']).value.recovery_codes_left).toBe(4);
    // The PIN alone, or a used recovery code, gets no new secret.
    const other = new WebClient(client.origin);
    expect((await loginOverHttp(other, '1001', PIN, `*${codes[0]}`)).status).toBe(400);
    expect((await loginOverHttp(other, '1001', PIN, '')).status).toBe(400);
  });

  it('cancels a move: the new key is forgotten, the old phone stays', async () => {
    const { site, client } = await webSite();
    await loggedIn(client);
    const csrf = await sessionCsrf(client, '/account/phone');
    await client.post('/account/phone', { csrf, step: 'start', pin: PIN, code: code(1) });
    const secret = secretOf((await client.get('/account/phone')).body);
    const cancelled = await client.post('/account/phone', { csrf, step: 'cancel' });
    expect(cancelled.headers.location).toBe('/account');
    expect((await client.get('/account/phone')).body).not.toContain(secret);
    expect((await client.post('/account/phone', { csrf, step: 'confirm', code: code(0, secret) })).status).toBe(400);
    expect((await call(site, PIN, code(2))).variables.ASTOTP).toBe('SUCCESS');
  });

  it('shows recent activity: calls, web logins and changes to the account, not the admin detail', async () => {
    const { site, client } = await webSite({ pbx_name: 'pbx-a' });
    expect((await call(site, '0000', code(0))).variables.ASTOTP).toBe('FAILURE');
    expect((await call(site, PIN, code(0))).variables.ASTOTP).toBe('SUCCESS');
    expect(site.cli(['set', '1001', '--name', 'Ann Example']).status).toBe(0);
    await loggedIn(client, '1001', PIN, code(1));
    const page = (await client.get('/account')).body;
    expect(page).toContain('Logged in as Ann Example, user ID 1001.');
    const table = /<table id="activity">.*<\/table>/s.exec(page)![0];
    const rows = [...table.matchAll(/<tr><td>[^<]+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><\/tr>/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(rows).toEqual([
      'Web login from 127.0.0.1 at pbx-a: succeeded',
      'Administrator: name, address or language changed at pbx-a: succeeded',
      'Phone login from 1001 at pbx-a: succeeded',
      'Phone login from 1001 at pbx-a: failed',
      'Administrator: account set up at pbx-a: succeeded',
    ]);
    expect(table).not.toContain('wrong PIN');
  });

  it('logs out, and logs out everywhere', async () => {
    const { site, client } = await webSite();
    await loggedIn(client);
    const other = new WebClient(client.origin);
    await loggedIn(other, '1001', PIN, code(1));
    const kept = client.cookies.get('astotp-login')!;
    const out = await client.post('/logout', { csrf: await sessionCsrf(client, '/account') });
    expect(out.status).toBe(200);
    expect(out.body).toContain('You are logged out.');
    client.cookies.set('astotp-login', kept);
    expect((await client.get('/account')).headers.location).toBe('/login');
    expect((await other.get('/account')).status).toBe(200);
    const third = new WebClient(client.origin);
    await loggedIn(third, '1001', PIN, code(2));
    const all = await other.post('/account/logout-all', { csrf: await sessionCsrf(other, '/account') });
    expect(all.body).toContain('You are logged out everywhere');
    expect((await third.get('/account')).headers.location).toBe('/login');
    expect(auditOf(site).find((e) => e.reason === 'end-sessions')).toMatchObject({ user: '1001', source: 'web' });
  });

  it('ends every session when the PIN, the secret or the user changes elsewhere, or a call locks the user', async () => {
    const { site, client } = await webSite({ lockout_failures: 2 });
    const changes: Array<[string, () => Promise<unknown>]> = [
      ['set-pin', async () => expect(site.cli(['set-pin', '1001'], `${PIN}\n${PIN}\n`).status).toBe(0)],
      ['reset', async () => expect(site.cli(['reset', '1001', '--secret', SECRET, '--no-confirm', '--qr', 'none']).status).toBe(0)],
      ['disable', async () => expect(site.cli(['disable', '1001']).status).toBe(0)],
      [
        'a lockout during a call',
        async () => {
          for (let i = 0; i < 2; i++) expect((await call(site, '0000', code(0))).variables.ASTOTP).toBe('FAILURE');
        },
      ],
      ['remove', async () => expect(site.cli(['remove', '1001', '--yes']).status).toBe(0)],
    ];
    let step = 0;
    for (const [what, change] of changes) {
      site.cli(['enable', '1001']);
      site.cli(['unlock', '1001']);
      await loggedIn(client, '1001', PIN, code(step++ - 2));
      expect((await client.get('/account')).status, what).toBe(200);
      await change();
      // Ended in the change's own transaction, not only found stale at the next request.
      expect(sessionRows(site), what).toBe(0);
      expect((await client.get('/account')).headers.location, what).toBe('/login');
    }
  });
});

/** A site's serve-web in this process, on a clock the test sets. */
async function serverOnClock(general: Record<string, string | number> = {}) {
  const site = new CliSite();
  configure(site, general);
  site.enroll('1001', PIN);
  const server = await serveOnClock(site);
  return {
    ...server,
    site,
    client: new WebClient(server.origin),
    login: (client: WebClient, at: number, pin = PIN) => loginOverHttp(client, '1001', pin, totpAt(at)),
  };
}

describe('the clock of a login session', () => {
  it('ends a session after 15 minutes idle, and after 8 hours however busy, on a clock the test sets', async () => {
    const { clock, client, login, stop } = await serverOnClock();
    try {
      expect((await login(client, clock.t)).status).toBe(303);
      clock.t += 14 * 60;
      expect((await client.get('/account')).status).toBe(200);
      clock.t += 15 * 60 - 1;
      expect((await client.get('/account')).status).toBe(200);
      clock.t += 15 * 60;
      expect((await client.get('/account')).headers.location).toBe('/login');
      // Busy all along: a request every 10 minutes, and still over at 8 hours.
      const start = clock.t;
      expect((await login(client, clock.t)).status).toBe(303);
      while (clock.t + 10 * 60 < start + 8 * 3600) {
        clock.t += 10 * 60;
        expect((await client.get('/account')).status, `${(clock.t - start) / 60} min`).toBe(200);
      }
      clock.t = start + 8 * 3600;
      expect((await client.get('/account')).headers.location).toBe('/login');
    } finally {
      await stop();
    }
  });

  it('stays ended after a lock that has run out, and ends on a PIN an older astotp wrote', async () => {
    const { site, clock, client, login, origin, stop } = await serverOnClock({ lockout_failures: 2, lockout_minutes: 1 });
    try {
      expect((await login(client, clock.t)).status).toBe(303);
      // A guesser elsewhere locks the user for a minute.
      const guesser = new WebClient(origin);
      for (let i = 0; i < 2; i++) expect((await loginOverHttp(guesser, '1001', '0000', totpAt(clock.t + 30))).status).toBe(400);
      clock.t += 2 * 60;
      // The lock is over, the session is well within its 15 minutes: still ended.
      expect((await client.get('/account')).headers.location).toBe('/login');
      expect((await login(client, clock.t)).status).toBe(303);
      // An astotp that knows no sessions changes the PIN hash directly (as schema 5 astotp's set-pin would).
      const db = new Database(site.db);
      db.prepare("UPDATE users SET pin_hash = pin_hash || 'x' WHERE id = '1001'").run();
      db.close();
      expect((await client.get('/account')).headers.location).toBe('/login');
    } finally {
      await stop();
    }
  });
});

describePostgres('login sessions on PostgreSQL, several web servers', () => {
  const server = usePostgres();

  it('share sessions: a login on one server is one on the others, and a change through any ends it on all', async () => {
    const site = new PgSite(server());
    const conf = join(site.confDir, 'astotp.conf');
    writeFileSync(
      conf,
      `[general]\ndb = ${site.url}\nkey_file = ${site.keyFile}\npbx_name = pbx-a\ntimeout = 5\nwindow = 4\n[web]\nweb_url = https://otp.example.org\n`,
    );
    site.enroll('1001', PIN);
    const webs = await Promise.all([WebServer.start(site.env), WebServer.start(site.env)]);
    servers.push(...webs);
    const [a, b] = webs.map((w) => new WebClient(w.origin)) as [WebClient, WebClient];
    await loggedIn(a);
    b.cookies.set('astotp-login', a.cookies.get('astotp-login')!);
    expect((await b.get('/account')).body).toContain('Logged in as user ID 1001.');
    // A change through server b ends the session on server a.
    const csrf = await sessionCsrf(b, '/account/pin');
    const done = await b.post('/account/pin', { csrf, pin: PIN, code: code(1), new_pin: '8642', new_pin_again: '8642' });
    expect(done.status, done.body).toBe(200);
    expect((await a.get('/account')).headers.location).toBe('/login');
    // A logout on one is one on the other; the CLI on another PBX ends them too.
    await loggedIn(a, '1001', '8642', code(2));
    b.cookies.set('astotp-login', a.cookies.get('astotp-login')!);
    await b.post('/logout', { csrf: await sessionCsrf(b, '/account') });
    expect((await a.get('/account')).headers.location).toBe('/login');
    await loggedIn(a, '1001', '8642', code(3));
    const other = site.sibling('pbx-b');
    expect(other.cli(['disable', '1001']).status).toBe(0);
    expect((await a.get('/account')).headers.location).toBe('/login');
  });
});
