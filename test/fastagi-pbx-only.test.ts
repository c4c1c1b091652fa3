// Only a PBX may hold a FastAGI call slot. A local user connects from
// Asterisk's own address, so the address cannot tell them apart: the request
// must also carry the secret the dialplan holds (serve-agi --secret-file).
// Everyone else is closed before a slot, and what Asterisk answers at once
// has a short deadline, so no connection holds a slot for long.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fastAgiCall, RawPeer } from './helpers/fastagi-peer.js';
import { AgiServer } from './helpers/serve-agi.js';
import { Site, totp } from './helpers/site.js';

const servers: AgiServer[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
});

function siteWithUser(): Site {
  const site = new Site();
  site.config({ timeout: 5, tries: 1 });
  site.enroll('1001', '4321');
  return site;
}

/** A secret file made the documented way; returns its path and the secret in it. */
function makeSecret(site: Site): { file: string; secret: string } {
  const file = join(site.confDir, 'astotp-fastagi.conf');
  const r = site.cli(['serve-agi', '--secret-file', file, '--print-dialplan']);
  expect(r.status).toBe(0);
  const secret = /^ASTOTP_FASTAGI_SECRET=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { file, secret: secret! };
}

async function serve(site: Site, args: string[]): Promise<AgiServer> {
  const server = await AgiServer.start(site.env, args);
  servers.push(server);
  return server;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Adds up the server's counted lines about refused connections, by reason. */
function refused(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of log.split('\n').filter((l) => l.includes('did not come from a PBX'))) {
    for (const m of line.matchAll(/(\d+) × ([^;]+)/g)) counts.set(m[2]!, (counts.get(m[2]!) ?? 0) + Number(m[1]));
  }
  return counts;
}

describe('serve-agi --secret-file and --print-dialplan', () => {
  it('makes a secret file only its owner reads, and prints a dialplan that names the secret without showing it', () => {
    const site = new Site();
    const { file, secret } = makeSecret(site);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = site.cli(['serve-agi', '--secret-file', file, '--print-dialplan', '--listen', '127.0.0.1:4599']);
    expect(again.status).toBe(0);
    // The same secret: printing again never replaces it.
    expect(readFileSync(file, 'utf8')).toContain(secret);
    expect(again.stdout).toContain(`#include "${file}"`);
    expect(again.stdout).toContain('exten => 777,1,AGI(agi://127.0.0.1:4599/otp/${GLOBAL(ASTOTP_FASTAGI_SECRET)})');
    expect(again.stdout + again.stderr).not.toContain(secret);
  });

  it('refuses a secret file others may read, one without a secret, and one that does not exist', () => {
    const site = siteWithUser();
    const { file } = makeSecret(site);
    chmodSync(file, 0o644);
    let r = site.cli(['serve-agi', '--listen', '127.0.0.1:0', '--secret-file', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/secret file .* has mode 0644: others may read or change it/);
    chmodSync(file, 0o600);
    writeFileSync(file, 'ASTOTP_FASTAGI_SECRET=short\n');
    r = site.cli(['serve-agi', '--listen', '127.0.0.1:0', '--secret-file', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/holds no line ASTOTP_FASTAGI_SECRET=VALUE/);
    r = site.cli(['serve-agi', '--listen', '127.0.0.1:0', '--secret-file', join(site.confDir, 'nosuch')]);
    expect(r.stderr).toMatch(/does not exist \(astotp serve-agi --secret-file FILE --print-dialplan creates it\)/);
    r = site.cli(['serve-agi', '--allow', '127.0.0.1/33']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--allow: "127.0.0.1\/33" needs a prefix length of 0 to 32/);
  });

  it('says loudly at start that a server without a secret lets any local user hold its slots', async () => {
    const server = await serve(siteWithUser(), []);
    expect(server.log).toMatch(/WARNING: no --secret-file: every local user can connect/);
  });
});

describe('serve-agi with --allow and --secret-file, flooded by connections that are not the PBX', () => {
  it('serves a real call while 256 connections from another address (with the secret) and 256 without it are refused without a slot', async () => {
    const site = siteWithUser();
    const { file, secret } = makeSecret(site);
    const server = await serve(site, ['--max-sessions', '16', '--allow', '127.0.0.1', '--secret-file', file]);
    expect(server.log).not.toContain('WARNING');
    const strangers: RawPeer[] = [];
    for (let i = 0; i < 256; i++) {
      const other = await RawPeer.open(server.port, '127.0.0.2');
      const local = await RawPeer.open(server.port);
      peers.push(other, local);
      // Even with the secret, an address --allow does not name never becomes a call.
      other.sendHeader(0, '', `otp/${secret}`);
      // A local user who cannot read Asterisk's configuration: the right address, a guess at the path.
      local.sendHeader(0, '', i % 2 ? 'otp' : 'otp/guess');
      strangers.push(other, local);
    }
    const r = await fastAgiCall({ port: server.port, script: `otp/${secret}`, inputs: ['1001', '4321', totp()] });
    expect(r.violations).toEqual([]);
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    // Refused at once: none was ever sent a command.
    await Promise.all(strangers.map((p) => p.closed));
    expect(strangers.every((p) => p.received === '')).toBe(true);
    await until(() => [...refused(server.log).values()].reduce((a, b) => a + b, 0) === 512, 'the refusals counted in the log');
    expect(refused(server.log)).toEqual(
      new Map([
        ['address not in --allow', 256],
        ['no FastAGI secret in the request', 128],
        ['wrong FastAGI secret', 128],
      ]),
    );
    // Counted in a few lines, not one each; and the secret is in none of them.
    expect(server.log.split('\n').filter((l) => l.includes('did not come from a PBX')).length).toBeLessThan(20);
    expect(server.log).not.toContain(secret);
    expect(server.log).not.toContain('guess');
  }, 60_000);

  it('closes a call that sits on a command Asterisk answers at once after --reply-timeout, long before the prompt timeout', async () => {
    const site = siteWithUser();
    const { file, secret } = makeSecret(site);
    const server = await serve(site, ['--max-sessions', '2', '--secret-file', file, '--reply-timeout', '1']);
    // Two connections with the secret that never answer ASTOTP=FAILURE: both slots taken.
    const silent = [await RawPeer.open(server.port), await RawPeer.open(server.port)];
    peers.push(...silent);
    for (const p of silent) p.sendHeader(0, '', `otp/${secret}`);
    await Promise.all(silent.map((p) => p.lines(1)));
    const started = Date.now();
    await Promise.all(silent.map((p) => p.closed));
    // The prompt timeout here is 5 s and the idle limit 35 s: the short deadline closed them.
    expect(Date.now() - started).toBeLessThan(4_000);
    await until(
      () => (server.log.match(/to answer a command that does not wait for the caller, closing/g) ?? []).length === 2,
      'two closings',
    );
    const r = await fastAgiCall({ port: server.port, script: `otp/${secret}`, inputs: ['1001', '4321', totp()] });
    expect(r.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  }, 30_000);
});
