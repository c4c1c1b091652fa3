// serve-web as a server: TLS with HSTS, __Host- cookies and a certificate
// read again on SIGHUP; a reverse proxy's headers believed from it alone;
// plain HTTP refused on a public address; the expiry of links and sessions on
// a clock the test sets (the server run in this process for that).
import { chmodSync, chownSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliSite } from './helpers/cli-site.js';
import { tempDir } from './helpers/temp.js';
import { serveOnClock } from './helpers/web-clock.js';
import { makeCa, makeServerCert } from './helpers/tls-certs.js';
import { csrfOf, invite, WebClient, WebServer } from './helpers/web-server.js';

const servers: WebServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

function webSite(): CliSite {
  const site = new CliSite();
  writeFileSync(join(site.confDir, 'astotp.conf'), '[general]\ntimeout = 5\n[web]\nweb_url = https://otp.example.org\n');
  site.enroll('9000', '4321');
  return site;
}

describe('serve-web', () => {
  it('speaks TLS with HSTS and __Host- cookies, and reads a new certificate on SIGHUP', async () => {
    const site = webSite();
    const dir = tempDir('astotp-web-tls-');
    const ca = await makeCa(dir, 'ca');
    const first = await makeServerCert(ca, dir, 'first', { dns: ['localhost'], ip: ['127.0.0.1'] });
    const otherCa = await makeCa(dir, 'other-ca');
    const second = await makeServerCert(otherCa, dir, 'second', { dns: ['localhost'], ip: ['127.0.0.1'] });
    const cert = join(dir, 'live.crt');
    const key = join(dir, 'live.key');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const server = await WebServer.start(site.env, ['--tls-cert', cert, '--tls-key', key]);
    servers.push(server);
    expect(server.scheme).toBe('https');
    const token = invite(site, '1001');
    const client = new WebClient(server.origin, { ca: readFileSync(ca.cert) });
    const start = await client.get(`/enrol/${token}`);
    expect(start.status).toBe(200);
    expect(start.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(String(start.headers['set-cookie'])).toMatch(
      /^__Host-astotp-form=[\w-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Strict; Secure$/,
    );
    const traded = await client.post(`/enrol/${token}`, { csrf: csrfOf(start.body) });
    expect(String(traded.headers['set-cookie'])).toMatch(
      /^__Host-astotp-session=[\w-]{43}; Path=\/; Max-Age=1800; HttpOnly; SameSite=Strict; Secure$/,
    );

    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    server.child.kill('SIGHUP');
    await expect.poll(() => server.log, { timeout: 5000 }).toContain('SIGHUP: TLS certificate and key read again');
    const fresh = new WebClient(server.origin, { ca: readFileSync(otherCa.cert) });
    expect((await fresh.get(`/enrol/${token}`)).status).toBe(200);
    await expect(new WebClient(server.origin, { ca: readFileSync(ca.cert) }).get('/')).rejects.toThrow();
    // A key that does not load leaves the certificate in use.
    writeFileSync(key, 'not a key');
    server.child.kill('SIGHUP');
    await expect.poll(() => server.log, { timeout: 5000 }).toContain('the previous certificate stays');
    expect((await fresh.get(`/enrol/${token}`)).status).toBe(200);
  });

  it("believes X-Forwarded-For and -Proto from --trust-proxy's address only", async () => {
    const site = webSite();
    const proxied = await WebServer.start(site.env, ['--trust-proxy', '127.0.0.1']);
    const direct = await WebServer.start(site.env);
    servers.push(proxied, direct);
    const headers = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https' };
    const token = invite(site, '1001');
    const viaProxy = new WebClient(proxied.origin, { headers });
    const start = await viaProxy.get(`/enrol/${token}`);
    expect(start.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(String(start.headers['set-cookie'])).toMatch(/^__Host-astotp-form=.*; Secure$/);
    await expect.poll(() => proxied.log).toMatch(/203\.0\.113\.7 GET \/enrol\/… 200/);
    const plain = await new WebClient(direct.origin, { headers }).get(`/enrol/${token}`);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    await expect.poll(() => direct.log).toMatch(/127\.0\.0\.1 GET \/enrol\/… 200/);
    expect(direct.log).not.toContain('203.0.113.7');
  });

  it('refuses plain HTTP on an address that is not loopback without a trusted proxy', async () => {
    const site = webSite();
    const r = await site.cliAsync(['serve-web', '--listen', '0.0.0.0:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('serve-web speaks plain HTTP on 0.0.0.0 only behind a reverse proxy');
    expect((await site.cliAsync(['serve-web', '--tls-cert', '/x'])).stderr).toContain('--tls-cert and --tls-key go together');
  });
});

describe('serve-web started as root', () => {
  it.runIf(process.geteuid?.() === 0)(
    "drops root for good to the database directory's owner, and says so when that user cannot read the TLS key",
    async () => {
      const site = webSite();
      for (let d = site.varDir; d !== dirname(site.astDir); d = dirname(d)) chmodSync(d, 0o755);
      for (const f of [site.varDir, site.db, site.keyFile]) chownSync(f, 65534, 65534);
      const server = await WebServer.start(site.env);
      servers.push(server);
      // Real, effective, saved and file-system IDs all nobody's, and no supplementary group left of root's.
      const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
      expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
      expect(/^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? []).not.toContain('0');
      expect((await new WebClient(server.origin).get('/login')).status).toBe(200);

      // A key only root may read: refused at the start, with what to do, not served later by a root process.
      const dir = tempDir('astotp-web-tls-');
      chmodSync(dir, 0o755);
      const ca = await makeCa(dir, 'ca');
      const pair = await makeServerCert(ca, dir, 'root-only', { dns: ['localhost'], ip: ['127.0.0.1'] });
      chmodSync(pair.cert, 0o644);
      chmodSync(pair.key, 0o600);
      await expect(WebServer.start(site.env, ['--tls-cert', pair.cert, '--tls-key', pair.key])).rejects.toThrow(
        /cannot read the TLS key .* as uid 65534 \(EACCES\): serve-web reads it after dropping root/,
      );
    },
  );
});

describe('the clock of links and sessions', () => {
  it('ends a link at its expiry and a session after 30 minutes, on a clock the test sets', async () => {
    const site = webSite();
    const token = invite(site, '1001', ['--expires', '2h']);
    const { clock, origin, stop } = await serveOnClock(site);
    try {
      const client = new WebClient(origin);
      const start = await client.get(`/enrol/${token}`);
      expect((await client.post(`/enrol/${token}`, { csrf: csrfOf(start.body) })).status).toBe(303);
      expect((await client.get('/enrol')).status).toBe(200);
      clock.t += 30 * 60;
      const late = await client.get('/enrol');
      expect(late.status).toBe(410);
      expect(late.body).toContain('This page has expired. Open the link of your invitation again.');
      // The link itself still works: a new session.
      expect((await client.get(`/enrol/${token}`)).status).toBe(200);
      clock.t += 90 * 60;
      const expired = await client.get(`/enrol/${token}`);
      expect(expired.status).toBe(410);
      expect(expired.body).toContain('This link has expired.');
      expect((await client.post(`/enrol/${token}`, { csrf: csrfOf(start.body) })).status).toBe(410);
    } finally {
      await stop();
    }
  });
});
