import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createPbotpServer } from '../src/responder/server.js';
import { formatKey, generatePrivateKey, publicKeyOf } from '../src/pbotp/keys.js';
import { newChallenge, respond } from '../src/pbotp/protocol.js';
import { loginData } from '../src/pbotp/login.js';
import { groupCode, toCode, toPhrase } from '../src/pbotp/encode.js';
import { encodeBase64url } from '../src/pbotp/base64url.js';
import { encodeChallengeDigits } from '../src/pbotp/challenge-digits.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const priv = generatePrivateKey();
const pub = publicKeyOf(priv);
const privText = formatKey(priv);
const log: string[] = [];
let server: Server;
let port: number;

function get(path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'x=1' : undefined);
  });
}

function fresh(login = { group: 'dev', host: 'pbx1', user: 'root' }) {
  const { challenge } = newChallenge(pub);
  const response = respond(priv, challenge, loginData(login));
  return { challenge, b64: encodeBase64url(challenge), code: groupCode(toCode(response)), phrase: toPhrase(response) };
}

beforeAll(async () => {
  server = createPbotpServer({
    privateKey: priv,
    version: 'astotp 9.9.9',
    allowGroups: ['dev', 'ops'],
    allow: (login) => login.user !== 'nobody',
    accessLog: (line) => log.push(line),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('pbotp HTTP responder', () => {
  it('GET / shows the version, the public key and the digits form', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('astotp 9.9.9');
    expect(r.body).toContain('pbotp v2');
    expect(r.body).toContain(formatKey(pub));
    expect(r.body).toContain('<form method="get"');
    expect(r.body).not.toContain(privText);
  });

  it('answers a challenge URL with the grouped code and the phrase', async () => {
    const c = fresh();
    const r = await get(`/dev/pbx1/root/${c.b64}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`<p class="code">${c.code}</p>`);
    expect(r.body).toContain(c.phrase);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).not.toContain(privText);
  });

  it('answers a challenge given as phone digit groups', async () => {
    const c = fresh({ group: 'ops', host: 'pbx1', user: '1001' });
    const r = await get(`/ops/pbx1/1001/${encodeChallengeDigits(c.challenge).join('-')}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain(c.code);
  });

  it('HEAD gets the headers only', async () => {
    const r = await get('/', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
  });

  it('400 for a challenge that is not base64url', async () => {
    const c = fresh();
    const r = await get(`/dev/pbx1/root/${c.b64.slice(0, 42)}!`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('not base64url');
  });

  it('400 for a challenge of the wrong length', async () => {
    const c = fresh();
    const r = await get(`/dev/pbx1/root/${c.b64}AAAA`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('must be 43 base64url characters (32 bytes), got 47');
  });

  it('400 for a small-order challenge', async () => {
    const r = await get(`/dev/pbx1/root/${'A'.repeat(43)}`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('small order');
  });

  it('400 naming the group whose check digit is wrong', async () => {
    const groups = encodeChallengeDigits(fresh().challenge);
    const g = groups[6]!;
    groups[6] = g.slice(0, 2) + String((Number(g[2]) + 1) % 10) + g.slice(3);
    const r = await get(`/dev/pbx1/root/${groups.join('-')}`);
    expect(r.status).toBe(400);
    expect(r.body).toContain(`check digit wrong in group 7 (${groups[6]})`);
  });

  it('403 for a group that is not allowed, and through the policy hook', async () => {
    const c = fresh({ group: 'prod', host: 'pbx1', user: 'root' });
    const r = await get(`/prod/pbx1/root/${c.b64}`);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain(c.code);
    expect((await get(`/dev/pbx1/nobody/${c.b64}`)).status).toBe(403);
  });

  it.each([
    ['/../../etc/passwd', 400],
    ['/dev/pbx1/root/../../x', 404],
    [`/dev/pbx%00/root/${'A'.repeat(43)}`, 400],
    [`/dev/pbx%2F1/root/${'A'.repeat(43)}`, 400],
    [`/dev/%zz/root/${'A'.repeat(43)}`, 400],
    [`/dev/%C0%AF/root/${'A'.repeat(43)}`, 400],
    ['/favicon.ico', 404],
    ['//', 404],
    ['/dev/pbx1/root/', 400],
    ['/a/b/c/d/e', 404],
  ])('%s -> %i', async (path, status) => {
    const r = await get(path);
    expect(r.status).toBe(status);
  });

  it('bounds the URL length and survives oversized requests', async () => {
    expect((await get(`/dev/pbx1/root/${'A'.repeat(3000)}`)).status).toBe(414);
    expect([414, 431]).toContain((await get(`/${'A'.repeat(20000)}`)).status);
    expect((await get('/')).status).toBe(200);
  });

  it('405 for anything but GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await get(`/dev/pbx1/root/${fresh().b64}`, method);
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('answers only plain ASCII login fields, naming the character it refuses', async () => {
    const c = fresh();
    for (const [path, codePoint] of [
      [`/dev/pbx1/r%D0%BE%D0%BEt/${c.b64}`, 'U+043E'],
      [`/dev/pbx1%E3%85%A4/root/${c.b64}`, 'U+3164'],
      [`/dev/pbx1/%E2%A0%80root/${c.b64}`, 'U+2800'],
      [`/dev/pbx1/ro%CD%8Fot/${c.b64}`, 'U+034F'],
      [`/dev/pbx1/root%EF%B8%8F/${c.b64}`, 'U+FE0F'],
      [`/dev/pbx1/mu%CC%88ller/${c.b64}`, 'U+0308'],
      [`/dev/%2e%2e/root/${c.b64}`, 'cannot be'],
    ]) {
      const r = await get(path!);
      expect(r.status).toBe(400);
      expect(r.body).toContain(codePoint);
      expect(r.body).not.toContain(c.code);
    }
    const form = await get(`/?group=dev&host=pbx1&user=r%D0%BE%D0%BEt&challenge=${c.b64}`);
    expect(form.status).toBe(400);
    expect(form.body).toContain('user contains U+043E');
  });

  it('escapes everything it echoes', async () => {
    const r = await get(`/dev/${encodeURIComponent('"><script>alert(1)')}/root/${fresh().b64}`);
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('<script>');
    const form = await get('/?group=%3Cscript%3E&host=h&user=u&challenge=1');
    expect(form.status).toBe(400);
    expect(form.body).not.toContain('<script>');
    expect(form.body).toContain('value="&#60;script&#62;"');
  });

  it('the form redirects typed digit groups to the challenge page', async () => {
    const c = fresh();
    const digits = encodeChallengeDigits(c.challenge).join(' ');
    const r = await get(`/?group=dev&host=pbx1&user=root&challenge=${encodeURIComponent(digits)}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`./dev/pbx1/root/${c.b64}`);
    const page = await get(new URL(r.headers.location as string, 'http://x/').pathname);
    expect(page.body).toContain(c.code);
  });

  it('the form names the group with a wrong check digit and keeps the typed values', async () => {
    const groups = encodeChallengeDigits(fresh().challenge);
    const g = groups[0]!;
    groups[0] = g.slice(0, 3) + String((Number(g[3]) + 5) % 10) + g.slice(4);
    const r = await get(`/?group=dev&host=pbx1&user=root&challenge=${encodeURIComponent(groups.join(' '))}`);
    expect(r.status).toBe(400);
    expect(r.body).toContain('check digit wrong in group 1');
    expect(r.body).toContain(`value="${groups.join(' ')}"`);
  });

  it('writes one access-log line per request without key material', async () => {
    log.length = 0;
    await get('/');
    await get('/nope', 'POST');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z 127\.0\.0\.1 GET \/ 200$/);
    expect(log[1]).toMatch(/ POST \/nope 405$/);
    expect(log.join('\n')).not.toContain(privText);
  });
});
