// The pbotp authority over plain HTTP against the built bundle's pbotp serve:
// only an approver who logged in (ID, PIN, code, judged as a call is) gets a
// response, only for the groups and hosts of their role, only by confirming,
// and every response is an audit row; API tokens for tools; a PBX's database
// is never an authority's. Session expiry and the fresh code after 5 minutes
// run in-process on a test clock, at the end.
import { chmodSync, chownSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readmeBlock } from '../scripts/readme-blocks.mjs';
import { REPO_ROOT } from './helpers/asterisk-peer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../src/pbotp/base64url.js';
import { encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';
import { groupCode, toCode } from '../src/pbotp/encode.js';
import { parsePrivateKey } from '../src/pbotp/keys.js';
import { type LoginFields, loginData } from '../src/pbotp/login.js';
import { newChallenge, respond } from '../src/pbotp/protocol.js';
import { APPROVER_PIN, AuthoritySite, startAuthority } from './helpers/authority-site.js';
import { CliSite } from './helpers/cli-site.js';
import { AUTHORITY_PRIV, AUTHORITY_PUB } from './helpers/pbotp-authority.js';
import { parsePublicKey } from '../src/pbotp/keys.js';
import { totp, totpAt } from './helpers/site.js';
import { serveOnClock } from './helpers/web-clock.js';
import { csrfOf, loginOverHttp, SAME_ORIGIN, WebClient, WebServer } from './helpers/web-server.js';

const servers: WebServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

const PRIV = parsePrivateKey(AUTHORITY_PRIV);
const PUB = parsePublicKey(AUTHORITY_PUB);

/** A challenge a device made for `login`, and the code the authority must answer it with. */
function challengeFor(login: LoginFields) {
  const { challenge } = newChallenge(PUB);
  const code = groupCode(toCode(respond(PRIV, challenge, loginData(login))));
  return { challenge, path: `/${login.group}/${login.host}/${login.user}/${encodeBase64url(challenge)}`, code };
}

const PBX_ROOT = { group: 'pbx', host: 'pbx1', user: 'root' };

interface AuditRow {
  user: string;
  source: string;
  result: string;
  reason: string;
  detail: string;
  caller_id: string;
  channel: string;
}
const responsesOf = (site: CliSite, approver: string) => site.json<AuditRow[]>(['log', '--approver', approver, '--limit', '1000']).value;

async function authority(): Promise<{ site: AuthoritySite; server: WebServer }> {
  const site = new AuthoritySite();
  site.approver('alice', 'pbx', 'pbx*');
  site.approver('dave', 'pbx,ssh');
  site.approver('bob', null);
  const server = await startAuthority(site);
  servers.push(server);
  return { site, server };
}

async function loggedIn(server: WebServer, user: string, code = totp()): Promise<WebClient> {
  const client = new WebClient(server.origin);
  const r = await loginOverHttp(client, user, APPROVER_PIN, code);
  expect(r.status, r.body).toBe(303);
  return client;
}

/** The confirmation of a challenge page, posted with its form token; `code` when it asks for one. */
async function approve(client: WebClient, path: string, extra: Record<string, string> = {}) {
  const page = await client.get(path);
  expect(page.status, page.body).toBe(200);
  return client.post(path, { csrf: csrfOf(page.body), ...extra });
}

describe('pbotp serve: the authority console', () => {
  let site: AuthoritySite;
  let server: WebServer;
  beforeAll(async () => {
    ({ site, server } = await authority());
  });

  it('shows an approver the login first, and the response only after the confirming POST, recorded in the audit log', async () => {
    const client = await loggedIn(server, 'alice');
    const c = challengeFor(PBX_ROOT);
    const page = await client.get(c.path);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<td id="group">pbx</td>');
    expect(page.body).toContain('<td id="host">pbx1</td>');
    expect(page.body).toContain('<td id="user">root</td>');
    expect(page.body).not.toContain(c.code);
    expect(responsesOf(site, 'alice')).toEqual([]);
    const r = await client.post(c.path, { csrf: csrfOf(page.body) });
    expect(r.status, r.body).toBe(200);
    expect(r.body).toContain(`<p class="secret" id="code">${c.code}</p>`);
    const [row, ...more] = responsesOf(site, 'alice');
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      user: 'alice',
      source: 'authority',
      result: 'SUCCESS',
      reason: 'pbotp-response',
      caller_id: '127.0.0.1',
      channel: 'pbotp/web',
    });
    expect(row!.detail).toMatch(/^group pbx, host pbx1, user root, challenge sha256 [0-9a-f]{32}$/);
    expect(row!.detail).not.toContain(encodeBase64url(c.challenge));
  });

  it('takes a pasted link and typed digit groups to the same confirmation', async () => {
    const client = await loggedIn(server, 'dave');
    const c = challengeFor({ group: 'ssh', host: 'db1', user: 'admin' });
    const link = await client.get(`/?link=${encodeURIComponent(`https://device.example${c.path}`)}`);
    expect([link.status, link.headers.location]).toEqual([303, c.path]);
    const digits = encodeChallengeDigits(c.challenge).join(' ');
    const typed = await client.get(`/?group=ssh&host=db1&user=admin&challenge=${encodeURIComponent(digits)}`);
    expect([typed.status, typed.headers.location]).toEqual([303, c.path]);
    const wrong = await client.get('/?group=ssh&host=db1&user=admin&challenge=1234567');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('expected 13 groups of 7 digits');
  });

  it('refuses a group or host the role does not cover, without a response, and records the refusal', async () => {
    const client = await loggedIn(server, 'alice', totp(undefined, { offset: 30 }));
    for (const login of [
      { group: 'ssh', host: 'pbx1', user: 'root' },
      { group: 'pbx', host: 'db1', user: 'root' },
    ]) {
      const c = challengeFor(login);
      const page = await client.get(c.path);
      expect(page.status).toBe(403);
      expect(page.body).toContain(`You may not approve logins of group ${login.group} on host ${login.host}`);
      const forged = await client.post(c.path, { csrf: csrfOf((await client.get('/')).body) });
      expect(forged.status).toBe(403);
      expect(forged.body).not.toContain(c.code);
    }
    expect(
      responsesOf(site, 'alice')
        .filter((r) => r.result === 'FAILURE')
        .map((r) => r.reason),
    ).toEqual(['no-right', 'no-right']);
  });

  it('gives nothing without a login: a GET is sent to the login, a POST is refused', async () => {
    const client = new WebClient(server.origin);
    const c = challengeFor(PBX_ROOT);
    const r = await client.get(c.path);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/login?next=${encodeURIComponent(c.path)}`);
    expect((await client.get('/')).headers.location).toBe('/login');
    const post = await client.post(c.path, { csrf: 'x'.repeat(43) });
    expect(post.status).toBe(403);
    expect(post.body).not.toContain(c.code);
  });

  it('logs in back to the challenge link that sent the approver there', async () => {
    const client = new WebClient(server.origin);
    const c = challengeFor(PBX_ROOT);
    const to = (await client.get(c.path)).headers.location as string;
    const page = await client.get(to);
    const r = await client.post(to, { csrf: csrfOf(page.body), user: 'dave', pin: APPROVER_PIN, code: totp(undefined, { offset: 30 }) });
    expect([r.status, r.headers.location]).toEqual([303, c.path]);
    // Only ever back to a challenge page of this site.
    for (const next of ['/\\evil.example/a/b/c', '//evil.example/a/b/c', 'https://evil.example/a/b/c/d', '/a/b/c/d?x=1']) {
      const login = await client.get(`/login?next=${encodeURIComponent(next)}`);
      expect(login.body).toContain('action="/login"');
    }
  });

  it('refuses a replayed approver code, a wrong PIN, a user without the role and a PBX user', async () => {
    const code = totp(undefined, { offset: 60 });
    await loggedIn(server, 'dave', code);
    for (const [user, pin, typed] of [
      ['dave', APPROVER_PIN, code],
      ['alice', '9999', totp(undefined, { offset: 90 })],
      ['bob', APPROVER_PIN, totp()],
      // A user of another database (a PBX's) is nobody here.
      ['carol', APPROVER_PIN, totp()],
    ] as const) {
      const client = new WebClient(server.origin);
      const r = await loginOverHttp(client, user, pin, typed);
      expect([user, r.status]).toEqual([user, 400]);
      expect(r.body).toContain('That did not work');
      expect(client.cookies.has('astotp-approver')).toBe(false);
    }
  });

  it("answers a helpdesk tool with an API token, with its approver's rights, until it is revoked", async () => {
    const made = site.json<{ id: number; token: string }>(['api-token', 'create', 'alice', '--label', 'helpdesk']).value;
    expect(made.token).toMatch(/^pbotp_[A-Za-z0-9_-]{43}$/);
    const tool = new WebClient(server.origin, { headers: { authorization: `Bearer ${made.token}` } });
    const c = challengeFor({ group: 'pbx', host: 'pbx2', user: '1001' });
    const r = await tool.get(c.path);
    expect(r.status, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body)).toMatchObject({ group: 'pbx', host: 'pbx2', user: '1001', code: c.code.replace(/ /g, '') });
    expect(responsesOf(site, 'alice').at(-1)).toMatchObject({ channel: 'pbotp/api', reason: 'pbotp-response' });
    expect(responsesOf(site, 'alice').at(-1)!.detail).toContain(`API token ${made.id}`);
    const ssh = challengeFor({ group: 'ssh', host: 'pbx2', user: '1001' });
    expect((await tool.get(ssh.path)).status).toBe(403);
    expect(site.cli(['api-token', 'revoke', String(made.id)]).status).toBe(0);
    const revoked = await tool.get(c.path);
    expect(revoked.status).toBe(401);
    expect(revoked.body).not.toContain(c.code.replace(/ /g, ''));
    const bogus = new WebClient(server.origin, { headers: { authorization: `Bearer pbotp_${'A'.repeat(43)}` } });
    expect((await bogus.get(c.path)).status).toBe(401);
    // The server's log has a line per request, never a token or a response.
    expect(server.log).toMatch(new RegExp(`127\\.0\\.0\\.1 GET /pbx/pbx2/1001/${encodeBase64url(c.challenge)} 200 `));
    expect(server.log).not.toContain(made.token);
    expect(server.log).not.toContain(c.code.replace(/ /g, ''));
    const list = site.json<Array<{ id: number; revoked_at: string | null; last_used: string | null }>>(['api-token', 'list']).value;
    expect(list).toEqual([expect.objectContaining({ id: made.id, revoked_at: expect.any(String), last_used: expect.any(String) })]);
  });

  it("checks every POST against the session cookie's form token and the origin", async () => {
    const client = await loggedIn(server, 'alice', totp(undefined, { offset: 60 }));
    const c = challengeFor(PBX_ROOT);
    const page = await client.get(c.path);
    expect((await client.post(c.path, { csrf: 'forged' })).status).toBe(403);
    expect((await client.post(c.path, { csrf: csrfOf(page.body) }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await client.post(c.path, { csrf: csrfOf(page.body) }, SAME_ORIGIN)).status).toBe(200);
  });
});

describe('host patterns', () => {
  it('match * as any run of characters, and answer at once even for many stars and a host of 255 characters', async () => {
    const site = new AuthoritySite();
    // A backtracking match would take minutes for these, with the console's one thread stalled.
    site.approver('eve', 'pbx', `db-*,*-*-*-*-*.lan,${'*a'.repeat(30)}`);
    const server = await startAuthority(site);
    servers.push(server);
    try {
      const client = await loggedIn(server, 'eve');
      const status = async (host: string) => (await client.get(challengeFor({ group: 'pbx', host, user: 'root' }).path)).status;
      const hosts: Array<[string, number]> = [
        ['db-1', 200],
        ['db-eu-2', 200],
        ['db-', 200],
        ['db', 403],
        ['xdb-1', 403],
        ['a-b-c-d-e.lan', 200],
        ['a-b-c-d.lan', 403],
        ['-'.repeat(250), 403],
        ['-'.repeat(250).concat('.lan'), 200],
        [`${'a'.repeat(254)}b`, 403],
        ['a'.repeat(255), 200],
        ['a'.repeat(29), 403],
        // Case-sensitive, as the response is bound to the login's bytes.
        ['DB-1', 403],
        ['Db-1', 403],
      ];
      const got: Array<[string, number]> = [];
      for (const [host] of hosts) got.push([host, await status(host)]);
      expect(got).toEqual(hosts);
      expect((await client.get(challengeFor({ group: 'PBX', host: 'db-1', user: 'root' }).path)).status).toBe(403);
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe("README's systemd unit", () => {
  it('starts pbotp serve with the options it names, on the authority site', async () => {
    const unit = readmeBlock(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'), "The authority's systemd unit");
    expect(unit).toMatch(/^User=pbotp$/m);
    const exec = /^ExecStart=\/usr\/bin\/node \S+\/astotp (.*)$/m.exec(unit)![1]!.split(' ');
    expect(exec.slice(0, 2)).toEqual(['pbotp', 'serve']);
    const site = new AuthoritySite();
    try {
      // Its --listen becomes a free port of loopback (WebServer.start adds it).
      const listen = exec.indexOf('--listen');
      expect(exec[listen + 1]).toBe('127.0.0.1:8080');
      const paths: Record<string, string> = {
        '/etc/pbotp/authority.key': site.privateKeyFile,
        '/var/lib/pbotp/authority.sqlite3': site.db,
      };
      const args = exec.filter((_, i) => i !== listen && i !== listen + 1).map((a) => paths[a] ?? a);
      const s = await WebServer.start(site.env, [], args);
      servers.push(s);
      expect((await new WebClient(s.origin).get('/login')).status).toBe(200);
      await s.stop();
    } finally {
      site.remove();
    }
  });
});

describe('a PBX database is never an authority', () => {
  it('pbotp serve refuses it, and neither role nor init --authority makes it one', async () => {
    const pbx = new CliSite();
    try {
      pbx.enroll('1001', '4321');
      const key = `${pbx.varDir}/authority.key`;
      expect(pbx.cli(['pbotp', 'genkey', 'privkey', '--out', key]).status).toBe(0);
      await expect(startAuthorityOn(pbx, key)).rejects.toThrow(/is not a pbotp authority's database: its users cannot approve logins/);
      const role = pbx.cli(['role', '1001', 'approver', '--groups', 'pbx']);
      expect(role.status).toBe(1);
      expect(role.stderr).toContain("is not a pbotp authority's database");
      const init = pbx.cli(['init', '--authority']);
      expect(init.status).toBe(1);
      expect(init.stderr).toContain("an authority's database must be a new one, never a PBX's");
      expect(pbx.json<unknown[]>(['roles']).value).toEqual([]);
    } finally {
      pbx.remove();
    }
  });
});

describe("an authority's database is never a PBX's", () => {
  it('a call refuses it, even for a user who would pass', async () => {
    const site = new AuthoritySite();
    try {
      site.enroll('1001', '4321');
      const r = await site.call({ inputs: ['1001', '4321', totp()] });
      expect(r.variables).toMatchObject({ ASTOTP: 'FAILURE', ASTOTP_REASON: 'error' });
      expect(r.verbose.join('\n')).toContain("is a pbotp authority's: no PBX may use it");
    } finally {
      site.remove();
    }
  });
});

async function startAuthorityOn(site: CliSite, key: string, args: string[] = []): Promise<void> {
  servers.push(await WebServer.start(site.env, args, ['pbotp', 'serve', '--key', key]));
}

describe("pbotp serve's private key file", () => {
  it('is refused when group or others may read it, or when it is a symbolic link, also with --no-login', async () => {
    const site = new AuthoritySite();
    try {
      const key = site.privateKeyFile;
      const link = `${key}.link`;
      symlinkSync(key, link);
      for (const args of [[], ['--no-login']]) {
        await expect(startAuthorityOn(site, link, args)).rejects.toThrow(
          `astotp: refusing private key file ${link}: it is a symbolic link; name the file itself\n`,
        );
        for (const mode of [0o640, 0o604]) {
          chmodSync(key, mode);
          await expect(startAuthorityOn(site, key, args)).rejects.toThrow(
            `astotp: refusing to serve: private key file ${key} is accessible by group or others (mode 0${mode.toString(8)}); run chmod 600 ${key}\n`,
          );
        }
        chmodSync(key, 0o600);
      }
      await (await WebServer.start(site.env, [], ['pbotp', 'serve', '--key', key])).stop();
    } finally {
      site.remove();
    }
  });
});

describe('doctor on the authority', () => {
  it("checks the private key file's mode and owner, and the database's mark", () => {
    const site = new AuthoritySite();
    try {
      const line = () =>
        site
          .cli(['doctor', '--authority-key', site.privateKeyFile])
          .stdout.split('\n')
          .filter((l) => l.includes('authority:'));
      expect(line()).toEqual([
        `PASS  authority: private key file ${site.privateKeyFile} is mode 0600, owned by root`,
        expect.stringMatching(/^PASS {2}authority: \S+ is a pbotp authority's database with 0 approvers$/),
      ]);
      chmodSync(site.privateKeyFile, 0o640);
      expect(line()[0]).toBe(
        `FAIL  authority: private key file ${site.privateKeyFile} has mode 0640: others can read it; chmod 600 ${site.privateKeyFile}`,
      );
      chmodSync(site.privateKeyFile, 0o600);
      chownSync(site.privateKeyFile, 54321, 54321);
      expect(line()[0]).toMatch(
        /^FAIL {2}authority: private key file \S+ belongs to uid 54321, not to root, the user the authority runs as/,
      );
    } finally {
      site.remove();
    }
  });
});

describe('API tokens guessed, on a test clock', () => {
  it('refuses a client for 15 minutes after 10 bad tokens, a good one too, and then answers it again', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    const { token } = site.json<{ token: string }>(['api-token', 'create', 'alice']).value;
    const server = await serveOnClock(site, { privateKey: PRIV, codeDigits: 9, phraseWords: 5 });
    try {
      const as = (t: string) => new WebClient(server.origin, { headers: { authorization: `Bearer ${t}` } });
      const c = challengeFor(PBX_ROOT);
      for (let i = 0; i < 9; i++) expect((await as(`pbotp_${String(i).repeat(43)}`).get(c.path)).status).toBe(401);
      expect((await as('not even a token').get(c.path)).status).toBe(429);
      const refused = await as(token).get(c.path);
      expect(refused.status).toBe(429);
      expect(refused.body).not.toContain(c.code.replace(/ /g, ''));
      server.clock.t += 16 * 60;
      expect(JSON.parse((await as(token).get(c.path)).body)).toMatchObject({ code: c.code.replace(/ /g, '') });
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe('the Authorization header', () => {
  it("of another scheme than Bearer (a proxy's Basic, Negotiate) leaves the console alone, and is no bad token", async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    const { token } = site.json<{ token: string }>(['api-token', 'create', 'alice']).value;
    const server = await startAuthority(site);
    servers.push(server);
    try {
      const c = challengeFor(PBX_ROOT);
      for (const [i, authorization] of ['Basic YWxpY2U6c2VjcmV0', 'Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag'].entries()) {
        const browser = new WebClient(server.origin, { headers: { authorization } });
        expect((await loginOverHttp(browser, 'alice', APPROVER_PIN, totp(undefined, { offset: 30 * i }))).status).toBe(303);
        // More than the 10 bad tokens after which an address is refused.
        for (let n = 0; n < 6; n++) {
          const page = await browser.get(c.path);
          expect(page.status, page.body).toBe(200);
          expect(page.body).toContain('<td id="host">pbx1</td>');
        }
        expect((await approve(browser, c.path)).body).toContain(c.code);
      }
      // The scheme in any case, one or more spaces.
      for (const authorization of [`bearer ${token}`, `BEARER  ${token}`, `Bearer ${token}`]) {
        const r = await new WebClient(server.origin, { headers: { authorization } }).get(c.path);
        expect([authorization.slice(0, 8), r.status]).toEqual([authorization.slice(0, 8), 200]);
        expect(JSON.parse(r.body)).toMatchObject({ code: c.code.replace(/ /g, '') });
      }
      for (const authorization of ['Bearer', 'Bearer x y', `Bearer\t${token}`])
        expect((await new WebClient(server.origin, { headers: { authorization } }).get(c.path)).status).toBe(401);
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe('--allow-group', () => {
  it('bounds what any role may get from this server, each refusal an audit row', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx,ssh');
    const { token } = site.json<{ token: string }>(['api-token', 'create', 'alice']).value;
    const server = await serveOnClock(site, { privateKey: PRIV, codeDigits: 9, phraseWords: 5, allowGroups: ['ssh'] });
    try {
      const tool = new WebClient(server.origin, { headers: { authorization: `Bearer ${token}` } });
      const pbx = challengeFor(PBX_ROOT);
      expect((await tool.get(pbx.path)).status).toBe(403);
      const ssh = challengeFor({ group: 'ssh', host: 'db1', user: 'root' });
      expect(JSON.parse((await tool.get(ssh.path)).body)).toMatchObject({ code: ssh.code.replace(/ /g, '') });
      const browser = new WebClient(server.origin);
      expect((await loginOverHttp(browser, 'alice', APPROVER_PIN, totpAt(server.clock.t))).status).toBe(303);
      const page = await browser.get(pbx.path);
      expect(page.status).toBe(403);
      const forged = await browser.post(pbx.path, { csrf: csrfOf((await browser.get('/')).body) });
      expect(forged.status).toBe(403);
      expect(forged.body).not.toContain(pbx.code);
      const rows = await server.store.read((t) => t.audit.list({ sources: ['authority'] }));
      expect(rows.map((r) => [r.channel, r.result, r.reason, r.detail?.split(',')[0]])).toEqual([
        ['pbotp/api', 'FAILURE', 'no-right', 'group pbx'],
        ['pbotp/api', 'SUCCESS', 'pbotp-response', 'group ssh'],
        ['pbotp/web', 'FAILURE', 'no-right', 'group pbx'],
      ]);
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe('sessions and fresh codes, on a test clock', () => {
  it('asks for a fresh code after 5 minutes, refuses a wrong one, and gives nothing once the session ran out', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    const server = await serveOnClock(site, { privateKey: PRIV, codeDigits: 9, phraseWords: 5 });
    const { clock } = server;
    try {
      const client = new WebClient(server.origin);
      const login = await loginOverHttp(client, 'alice', APPROVER_PIN, totpAt(clock.t));
      expect(login.status).toBe(303);
      clock.t += 6 * 60;
      const c = challengeFor(PBX_ROOT);
      const page = await client.get(c.path);
      expect(page.body).toContain('type the one your app shows now');
      const none = await client.post(c.path, { csrf: csrfOf(page.body) });
      expect(none.status).toBe(400);
      expect(none.body).not.toContain(c.code);
      const stale = await client.post(c.path, { csrf: csrfOf(page.body), code: totpAt(clock.t - 6 * 60) });
      expect(stale.status).toBe(400);
      const fresh = await approve(client, c.path, { code: totpAt(clock.t) });
      expect(fresh.status).toBe(200);
      expect(fresh.body).toContain(c.code);
      // Within 5 minutes of that code, no new one is asked for.
      clock.t += 60;
      const next = challengeFor(PBX_ROOT);
      expect((await approve(client, next.path)).body).toContain(next.code);
      // 15 minutes idle end the session: nothing, and the GET goes to the login.
      const later = challengeFor(PBX_ROOT);
      const form = await client.get(later.path);
      clock.t += 16 * 60;
      const over = await client.post(later.path, { csrf: csrfOf(form.body), code: totpAt(clock.t) });
      expect(over.status).toBe(401);
      expect(over.body).not.toContain(later.code);
      expect((await client.get(later.path)).status).toBe(303);
      const rows = await server.store.read((t) => t.audit.list({ sources: ['authority'] }));
      expect(rows.map((r) => r.reason)).toEqual(['pbotp-response', 'pbotp-response']);
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe('the fresh code, on a test clock', () => {
  it('is never a recovery code, which is refused before it is judged and so not used up', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    const codes = site.json<{ recovery_codes: string[] }>(['recovery', 'alice']).value.recovery_codes;
    const left = () => site.json<{ recovery_codes_left: number }>(['show', 'alice']).value.recovery_codes_left;
    expect(left()).toBe(codes.length);
    const server = await serveOnClock(site, { privateKey: PRIV, codeDigits: 9, phraseWords: 5 });
    try {
      const client = new WebClient(server.origin);
      expect((await loginOverHttp(client, 'alice', APPROVER_PIN, totpAt(server.clock.t))).status).toBe(303);
      server.clock.t += 6 * 60;
      const c = challengeFor(PBX_ROOT);
      const page = await client.get(c.path);
      expect(page.body).toContain('type the one your app shows now');
      for (const code of [`*${codes[0]}`, `* ${codes[1]}`]) {
        const r = await client.post(c.path, { csrf: csrfOf(page.body), code });
        expect(r.status).toBe(400);
        expect(r.body).not.toContain(c.code);
      }
      expect(left()).toBe(codes.length);
      expect(await server.store.read((t) => t.audit.list({ sources: ['authority'] }))).toEqual([]);
      // The app's code still confirms.
      expect((await approve(client, c.path, { code: totpAt(server.clock.t) })).body).toContain(c.code);
    } finally {
      await server.stop();
      site.remove();
    }
  });
});

describe("an approver's sessions end with the user's web logins", () => {
  it('when the admin gives a new secret (astotp reset) or a new PIN', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    site.approver('bob', 'pbx');
    const server = await startAuthority(site);
    servers.push(server);
    try {
      const c = challengeFor(PBX_ROOT);
      for (const change of [
        ['reset', 'alice', '--no-confirm', '--qr', 'none'],
        ['set-pin', 'bob'],
      ]) {
        const client = await loggedIn(server, change[1]!);
        const page = await client.get(c.path);
        expect(page.status).toBe(200);
        expect(site.cli(change, '2468\n').status).toBe(0);
        const post = await client.post(c.path, { csrf: csrfOf(page.body) });
        expect(post.status).toBe(401);
        expect(post.body).not.toContain(c.code);
        expect((await client.get(c.path)).status).toBe(303);
      }
    } finally {
      site.remove();
    }
  });
});
