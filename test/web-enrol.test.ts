// Users enrolling themselves through an invitation link, over plain HTTP
// against the built bundle's serve-web: what a link shows and when it stops
// working, the CSRF rule, the headers, escaping, the limits, the logs, the
// faults; then the call that proves the enrolment. The real browser's flows
// are in web-browser.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { DbLock } from './helpers/db-lock.js';
import { PgSite } from './helpers/pg-site.js';
import { describePostgres, usePostgres } from './helpers/postgres.js';
import { recoveryEntry, type Site, totp } from './helpers/site.js';
import { csrfOf, enrolOverHttp, invite, recoveryCodesOf, SAME_ORIGIN, secretOf, WebClient, WebServer } from './helpers/web-server.js';

const servers: WebServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** astotp.conf with [general] and [web] (web_url: where the test reaches the server is not known before it starts). */
function configure(site: Site, general: Record<string, string | number> = {}, web: Record<string, string> = {}): void {
  const lines = (o: Record<string, string | number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('');
  writeFileSync(
    join(site.confDir, 'astotp.conf'),
    `[general]\ntimeout = 5\n${lines(general)}[web]\nweb_url = https://otp.example.org\n${lines(web)}`,
  );
}

async function serve(site: Site, args: string[] = []): Promise<WebServer> {
  const server = await WebServer.start(site.env, args);
  servers.push(server);
  return server;
}

async function webSite(general: Record<string, string | number> = {}, web: Record<string, string> = {}) {
  const site = new CliSite();
  configure(site, general, web);
  site.enroll('9000', '4321'); // makes the database and key; serve-web never creates one
  const server = await serve(site);
  return { site, server, client: new WebClient(server.origin) };
}

const auditOf = (site: Site) =>
  JSON.parse(site.cli(['log', '--json', '--limit', '1000']).stdout) as Array<{
    user: string;
    source: string;
    reason: string;
    detail: string;
  }>;

describe('an invitation link, over HTTP', () => {
  it('shows a start page on GET and makes no secret; sends every security header', async () => {
    const { site, client } = await webSite();
    const token = invite(site, '1001', ['--name', 'Ann Example']);
    const start = await client.get(`/enrol/${token}`);
    expect(start.status).toBe(200);
    expect(start.body).toContain('This invitation is for Ann Example, user ID 1001, at Asterisk.');
    expect(start.body).not.toMatch(/otpauth:|class="secret"|<svg/);
    expect(start.headers['cache-control']).toBe('no-store');
    expect(start.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/,
    );
    expect(start.headers['referrer-policy']).toBe('no-referrer');
    expect(start.headers['x-content-type-options']).toBe('nosniff');
    expect(start.headers['x-frame-options']).toBe('DENY');
    // Plain HTTP: no HSTS, no Secure cookie (web-tls.test.ts has both).
    expect(start.headers['strict-transport-security']).toBeUndefined();
    expect(String(start.headers['set-cookie'])).toMatch(/^astotp-form=[\w-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Strict$/);
    // Nothing happened: no session, the invitation as it was (a HEAD too, as a link preview sends).
    expect((await client.send('HEAD', `/enrol/${token}`)).status).toBe(200);
    expect(site.cli(['invites', '--json']).stdout).toContain('"state": "pending"');
    expect(site.json<Array<{ reason: string }>>(['log']).value.map((e) => e.reason)).toEqual(['enroll', 'invite']);
    // Every other page carries the headers too.
    for (const path of ['/', '/enrol', '/enrol/nosuchtoken', '/x']) {
      const r = await client.get(path);
      expect(r.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
      expect(r.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('enrols the user: the page makes the secret, one code and the PIN store it, the call succeeds, a recovery code works once', async () => {
    const { site, server, client } = await webSite({}, { test_extension: '777' });
    const token = invite(site, '1001', ['--email', 'ann@example.org', '--language', 'en']);
    const { done, secret } = await enrolOverHttp(client, token, { pin: '2580' });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Try it: call 777, then type your user ID 1001, your PIN and the code the app shows.');
    const codes = recoveryCodesOf(done.body);
    expect(codes).toHaveLength(5);
    // The session cookie is gone with the enrolment.
    expect(String(done.headers['set-cookie'])).toMatch(/^astotp-session=; Path=\/; Max-Age=0;/);
    const show = site.json<{ email: string; language: string; pin: boolean }>(['show', '1001']).value;
    expect(show).toMatchObject({ email: 'ann@example.org', language: 'en', pin: true });
    const row = auditOf(site).find((e) => e.user === '1001' && e.reason === 'enroll')!;
    expect(row).toMatchObject({ source: 'web', detail: 'enroll (invitation) by invitation link from 127.0.0.1' });

    // The code that confirmed the enrolment is used up; the next one logs in.
    const call = await site.call({ inputs: ['1001', '2580', totp(secret, { offset: 30 })], replyDelayMs: 0 });
    expect(call.variables.ASTOTP).toBe('SUCCESS');
    const recovery = await site.call({ inputs: ['1001', '2580', ...recoveryEntry(codes[0]!)] });
    expect(recovery.variables.ASTOTP).toBe('SUCCESS');
    expect((await site.call({ inputs: ['1001', '2580', ...recoveryEntry(codes[0]!)] })).variables.ASTOTP).toBe('FAILURE');

    // Used: the link says so, and trading it again changes nothing.
    const again = await new WebClient(server.origin).get(`/enrol/${token}`);
    expect(again.status).toBe(410);
    expect(again.body).toContain('This link has been used already.');
    expect(again.body).toContain('Ask your administrator for a new invitation.');
    // Neither the token nor the secret nor the PIN is in the server's log or the audit log.
    const logs = server.log + site.cli(['log', '--json', '--limit', '1000']).stdout + site.cli(['invites', '--json']).stdout;
    for (const hidden of [token, secret, '2580', ...codes]) expect(logs).not.toContain(hidden);
    await expect.poll(() => server.log).toMatch(/127\.0\.0\.1 GET \/enrol\/… 200/);
  });

  it('is judged as an unknown user on a call while only invited', async () => {
    const { site } = await webSite();
    invite(site, '1001');
    const call = await site.call({ inputs: ['1001', '4321', totp()] });
    expect(call.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'bad-credentials' });
    expect(auditOf(site).at(-1)!.user).toMatch(/^unknown:4d:/);
  });

  it('stops working when revoked or replaced, and says so', async () => {
    const { site, client } = await webSite();
    const revoked = invite(site, '1001');
    expect(site.cli(['invites', '--revoke', '1001']).status).toBe(0);
    expect((await client.get(`/enrol/${revoked}`)).body).toContain('This link has been withdrawn.');
    const first = invite(site, '1002');
    expect(site.cli(['invite', '1002', '--qr', 'none']).stderr).toContain('--force replaces it');
    const second = invite(site, '1002', ['--force']);
    const old = await client.get(`/enrol/${first}`);
    expect(old.status).toBe(410);
    expect(old.body).toContain('A newer invitation has replaced this one');
    expect((await client.get(`/enrol/${second}`)).status).toBe(200);
    const states = JSON.parse(site.cli(['invites', '--json']).stdout).map((i: { user: string; state: string }) => `${i.user} ${i.state}`);
    expect(states).toEqual(['1002 pending', '1002 replaced', '1001 revoked']);
    expect(auditOf(site).map((e) => e.reason)).toEqual(expect.arrayContaining(['invite', 'revoke-invite']));
  });

  it('asks for the activation code where one was set, and is void after 3 wrong ones', async () => {
    const { site, client } = await webSite();
    const r = site.cli(['invite', '1001', '--qr', 'none', '--activation-code']);
    const token = /\/enrol\/([\w-]{43})$/m.exec(r.stdout)![1]!;
    const code = /Activation code.*: (\d{4} \d{4})$/m.exec(r.stdout)![1]!;
    const start = await client.get(`/enrol/${token}`);
    expect(start.body).toContain('<label for="activation">Activation code</label>');
    const csrf = csrfOf(start.body);
    const none = await client.post(`/enrol/${token}`, { csrf });
    expect(none.status).toBe(400);
    expect(none.body).toContain('That is not the activation code. 2 more tries');
    expect(none.body).toContain('aria-invalid="true"');
    expect((await client.post(`/enrol/${token}`, { csrf, activation: '0000 0000' })).body).toContain('1 more tries');
    const third = await client.post(`/enrol/${token}`, { csrf, activation: '1111-1111' });
    expect(third.status).toBe(410);
    expect(third.body).toContain('the activation code was typed wrong too often');
    // Void: the right code no longer opens it.
    const late = await client.post(`/enrol/${token}`, { csrf, activation: code });
    expect(late.status).toBe(410);
    expect(client.cookies.has('astotp-session')).toBe(false);
    expect(auditOf(site).find((e) => e.reason === 'void-invite')).toMatchObject({
      user: '1001',
      source: 'web',
      detail: expect.stringContaining('3 wrong activation codes'),
    });

    // With the right code (spaced as printed) another invitation goes on.
    const r2 = site.cli(['invite', '1002', '--qr', 'none', '--activation-code']);
    const token2 = /\/enrol\/([\w-]{43})$/m.exec(r2.stdout)![1]!;
    const code2 = /Activation code.*: (\d{4} \d{4})$/m.exec(r2.stdout)![1]!;
    const { done } = await enrolOverHttp(client, token2, { activation: code2, pin: '9876' });
    expect(done.status).toBe(200);
  });

  it('refuses a POST from another site, or without the form token, and changes nothing', async () => {
    const { site, client } = await webSite();
    const r = site.cli(['invite', '1001', '--qr', 'none', '--activation-code']);
    const token = /\/enrol\/([\w-]{43})$/m.exec(r.stdout)![1]!;
    const csrf = csrfOf((await client.get(`/enrol/${token}`)).body);
    const forged: Array<{ csrf: string; headers: Record<string, string> }> = [
      { csrf, headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } },
      { csrf, headers: { 'sec-fetch-site': 'same-site' } },
      { csrf, headers: { origin: 'https://evil.example' } },
      { csrf, headers: { origin: 'null' } },
      { csrf, headers: {} },
      { csrf: '', headers: SAME_ORIGIN },
      { csrf: `${csrf.slice(0, -1)}A`, headers: SAME_ORIGIN },
    ];
    for (const f of forged) {
      const res = await client.post(`/enrol/${token}`, { csrf: f.csrf, activation: '1234 5678' }, f.headers);
      expect(res.status, JSON.stringify(f.headers)).toBe(403);
      expect(res.body).toContain('This form was not sent from this site&#39;s own page.');
    }
    // Another client's cookie does not go with this form's token.
    const other = new WebClient(client.origin);
    await other.get(`/enrol/${token}`);
    expect((await other.post(`/enrol/${token}`, { csrf, activation: '1234 5678' })).status).toBe(403);
    // No wrong code was counted: a forged form never reached the invitation.
    expect(JSON.parse(site.cli(['invites', '--json']).stdout)[0]).toMatchObject({ state: 'pending', wrong_codes: 0 });
    // Without Sec-Fetch-Site, the Origin of the server itself (or web_url's) is a browser's own form.
    expect((await client.post(`/enrol/${token}`, { csrf, activation: '0' }, { origin: client.origin })).status).toBe(400);
    expect((await client.post(`/enrol/${token}`, { csrf, activation: '0' }, { origin: 'https://otp.example.org' })).status).toBe(400);
    expect(JSON.parse(site.cli(['invites', '--json']).stdout)[0]).toMatchObject({ wrong_codes: 2 });
  });

  it('renders a name of markup as text', async () => {
    const { site, client } = await webSite();
    const token = invite(site, '1001', ['--name', '<script>alert("x")</script>&amp;']);
    const start = await client.get(`/enrol/${token}`);
    expect(start.body).not.toContain('<script>');
    expect(start.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;amp;');
  });

  it('answers a bad form with the error next to its field and writes nothing', async () => {
    const { site, client } = await webSite();
    const token = invite(site, '1001');
    const start = await client.get(`/enrol/${token}`);
    await client.post(`/enrol/${token}`, { csrf: csrfOf(start.body) });
    const setup = await client.get('/enrol');
    const secret = secretOf(setup.body);
    const csrf = csrfOf(setup.body);
    const wrong = await client.post('/enrol', { csrf, code: '000000', pin: '12', pin_again: '12' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatch(/<p class="error" id="code-error">That is not the code the app shows now\./);
    expect(wrong.body).toMatch(
      /<p class="error" id="pin-error">A PIN is 4 to 12 digits\.<\/p>\n<input id="pin"[^>]*aria-describedby="pin-hint pin-error" aria-invalid="true">/,
    );
    // The same secret is offered again: the app the user set up stays right.
    expect(secretOf(wrong.body)).toBe(secret);
    const mismatch = await client.post('/enrol', { csrf, code: totp(secret), pin: '1234', pin_again: '1243' });
    expect(mismatch.body).toContain('The two PINs are not the same.');
    expect(mismatch.body).not.toContain('id="code-error"');
    expect(site.cli(['show', '1001']).stdout).toContain('invited, expires');
    expect(site.json<Array<{ reason: string }>>(['log']).value.map((e) => e.reason)).toEqual(['enroll', 'invite']);
    // A form nobody could have sent from the page: too big.
    const big = await client.post('/enrol', { csrf, code: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    const header = await client.get(`/enrol/${token}`, { 'x-filler': 'y'.repeat(10_000) });
    expect(header.status).toBe(431);
  });

  it('throttles a client that tries unknown links, also for a valid one', async () => {
    const { site, client } = await webSite();
    const token = invite(site, '1001');
    for (let i = 0; i < 9; i++) expect((await client.get(`/enrol/${'A'.repeat(42)}${i}`)).status).toBe(404);
    const tenth = await client.get(`/enrol/${'B'.repeat(43)}`);
    expect(tenth.status).toBe(429);
    expect(tenth.body).toMatch(/Too many wrong links came from your network\. Try again after .* UTC\./);
    expect((await client.get(`/enrol/${token}`)).status).toBe(429);
  });

  it('shows a plain error page and changes nothing while the database is locked', async () => {
    const { site, client } = await webSite({ db_timeout: 1 });
    const token = invite(site, '1001');
    const start = await client.get(`/enrol/${token}`);
    await client.post(`/enrol/${token}`, { csrf: csrfOf(start.body) });
    const setup = await client.get('/enrol');
    const secret = secretOf(setup.body);
    const lock = await DbLock.hold(site.db, 'writers');
    let fault: Awaited<ReturnType<WebClient['post']>>;
    try {
      fault = await client.post('/enrol', { csrf: csrfOf(setup.body), code: totp(secret), pin: '1234', pin_again: '1234' });
    } finally {
      await lock.release();
    }
    expect(fault.status).toBe(500);
    expect(fault.body).toContain('The server could not do this. Nothing was changed: try again in a few minutes.');
    expect(fault.body).not.toContain('database');
    expect(site.cli(['show', '1001']).stdout).toContain('invited, expires');
    // The same page goes on once the database is free again.
    const done = await client.post('/enrol', { csrf: csrfOf(setup.body), code: totp(secret), pin: '1234', pin_again: '1234' });
    expect(done.status).toBe(200);
  });

  it('asks for no PIN where ask_pin = no, and enrols without one', async () => {
    const { site, client } = await webSite({ ask_pin: 'no' });
    const token = invite(site, '1001');
    const { done, setup } = await enrolOverHttp(client, token);
    expect(setup.body).not.toContain('name="pin"');
    expect(done.body).toContain('From now on, the phone asks for your user ID 1001 and the code the app shows.');
    expect(site.json<{ pin: boolean }>(['show', '1001']).value.pin).toBe(false);
  });

  it("speaks the invitation's language, else the browser's, and switches on the page", async () => {
    const { site, client } = await webSite();
    const fr = invite(site, '1001', ['--language', 'fr']);
    const page = await client.get(`/enrol/${fr}`, { 'accept-language': 'es' });
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toContain('Cette invitation est pour');
    expect(page.body).toContain(`<a href="/enrol/${fr}?lang=ru" lang="ru" hreflang="ru">Русский</a>`);
    const plain = invite(site, '1002');
    expect((await client.get(`/enrol/${plain}`, { 'accept-language': 'de-DE, it;q=0.8, es;q=0.5' })).body).toContain('<html lang="it">');
    const switched = await client.get(`/enrol/${fr}?lang=es`);
    expect(switched.body).toContain('Esta invitación es para');
    // The choice stays for the next pages (a cookie).
    expect((await client.get(`/enrol/${plain}`)).body).toContain('<html lang="es">');
  });
});

describePostgres('an invitation link, over HTTP, on PostgreSQL', () => {
  const server = usePostgres();

  it('enrols the user in the shared database; another PBX logs them in', async () => {
    const site = new PgSite(server());
    site.enroll('9000', '4321');
    const conf = join(site.confDir, 'astotp.conf');
    writeFileSync(
      conf,
      `[general]\ndb = ${site.url}\nkey_file = ${site.keyFile}\npbx_name = pbx-a\ntimeout = 5\n[web]\nweb_url = https://otp.example.org\n`,
    );
    const web = await serve(site);
    const token = invite(site, '1001', ['--name', 'Pat']);
    const { done, secret } = await enrolOverHttp(new WebClient(web.origin), token, { pin: '8642' });
    expect(done.status, done.body).toBe(200);
    const other = site.sibling('pbx-b');
    const call = await other.call({ inputs: ['1001', '8642', totp(secret, { offset: 30 })], replyDelayMs: 0 });
    expect(call.variables.ASTOTP).toBe('SUCCESS');
    expect(JSON.parse(site.cli(['show', '1001', '--json']).stdout).name).toBe('Pat');
  });
});
