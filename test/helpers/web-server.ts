// `astotp serve-web` from the built bundle on a free port of 127.0.0.1, with
// a site's database and config, its log (stderr) kept for assertions; and a
// plain HTTP client with a cookie jar that sends exactly the headers a test
// names, as a browser or a forger would.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BUNDLE_PATH } from './asterisk-peer.js';
import type { Site } from './site.js';
import { totp } from './site.js';

export class WebServer {
  log = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly scheme: 'http' | 'https',
  ) {
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  get origin(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  /** `command`: serve-web, or another web server of the bundle (pbotp serve --key FILE). */
  static start(env: Record<string, string>, args: string[] = [], command = ['serve-web']): Promise<WebServer> {
    const child = spawn(process.execPath, [BUNDLE_PATH, ...command, '--listen', '127.0.0.1:0', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.setEncoding('utf8');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('did not start within 10 s')), 10_000);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${command.join(' ')}: ${err.message}\nstderr: ${log}`));
      };
      const onData = (chunk: string): void => {
        log += chunk;
        const m = /listening on (https?):\/\/127\.0\.0\.1:(\d+)/.exec(log);
        if (!m) return;
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.off('close', onClose);
        const server = new WebServer(child, Number(m[2]), m[1] as 'http' | 'https');
        server.log = log;
        child.stderr!.on('data', (c: string) => (server.log += c));
        resolve(server);
      };
      const onClose = (code: number | null): void => fail(new Error(`exited with ${code} before listening`));
      child.stderr!.on('data', onData);
      child.once('close', onClose);
    });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface WebResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What a browser sends with a form it posts to the page's own site. */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly origin: string,
    private readonly opts: { ca?: Buffer; headers?: Record<string, string> } = {},
  ) {}

  send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<WebResponse> {
    const url = new URL(path, this.origin);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const all: Record<string, string> = { ...this.opts.headers, ...(cookie ? { cookie } : {}), ...headers };
    if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
    const make = url.protocol === 'https:' ? httpsRequest : request;
    return new Promise((resolve, reject) => {
      // agent: false: a connection of its own each time, as a test of TLS needs (no kept-alive socket of an earlier certificate).
      const req = make(url, { method, headers: all, agent: false, ...(this.opts.ca ? { ca: this.opts.ca } : {}) }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair = ''] = c.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq);
            if (/Max-Age=0(;|$)/.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, pair.slice(eq + 1));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<WebResponse> {
    return this.send('GET', path, headers);
  }

  /** A form post, with the headers a same-origin browser form sends unless `headers` says otherwise. */
  post(path: string, form: Record<string, string>, headers: Record<string, string> = SAME_ORIGIN): Promise<WebResponse> {
    return this.send(
      'POST',
      path,
      { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      new URLSearchParams(form).toString(),
    );
  }
}

/** The hidden form token of a page. */
export function csrfOf(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error(`no form token in the page:\n${page.slice(0, 2000)}`);
  return m[1]!;
}

/** The secret as the set-up page shows it for typing, spaces taken out. */
export function secretOf(page: string): string {
  const m = /<span class="secret" id="secret">([A-Z2-7 ]+)<\/span>/.exec(page);
  if (!m) throw new Error(`no secret in the page:\n${page.slice(0, 2000)}`);
  return m[1]!.replace(/ /g, '');
}

/** The recovery codes the done page shows. */
export function recoveryCodesOf(page: string): string[] {
  const list = /<ol class="codes" id="recovery-codes">(.*?)<\/ol>/s.exec(page)?.[1] ?? '';
  return [...list.matchAll(/<li>(\d{8})<\/li>/g)].map((m) => m[1]!);
}

/** `astotp invite` on the site; the token of the printed link. */
export function invite(site: Site, user: string, args: string[] = []): string {
  const r = site.cli(['invite', user, '--qr', 'none', ...args]);
  if (r.status !== 0) throw new Error(`invite ${user} failed (${r.status}): ${r.stderr}`);
  const m = /\/enrol\/([A-Za-z0-9_-]{43})$/m.exec(r.stdout);
  if (!m) throw new Error(`no link in: ${r.stdout}`);
  return m[1]!;
}

/** The whole enrolment over plain HTTP: start page, trade, set-up page, code and PIN; the done page and the secret made. */
export async function enrolOverHttp(
  client: WebClient,
  token: string,
  opts: { pin?: string; activation?: string } = {},
): Promise<{ done: WebResponse; secret: string; setup: WebResponse }> {
  const start = await client.get(`/enrol/${token}`);
  if (start.status !== 200) throw new Error(`start page: ${start.status}\n${start.body}`);
  const traded = await client.post(`/enrol/${token}`, {
    csrf: csrfOf(start.body),
    ...(opts.activation ? { activation: opts.activation } : {}),
  });
  if (traded.status !== 303) throw new Error(`trading the link: ${traded.status}\n${traded.body}`);
  const setup = await client.get('/enrol');
  if (setup.status !== 200) throw new Error(`set-up page: ${setup.status}\n${setup.body}`);
  const secret = secretOf(setup.body);
  const form: Record<string, string> = { csrf: csrfOf(setup.body), code: totp(secret) };
  if (opts.pin !== undefined) Object.assign(form, { pin: opts.pin, pin_again: opts.pin });
  const done = await client.post('/enrol', form);
  return { done, secret, setup };
}

/** The login page's form, filled in and posted; the answer (303 to /account on success). */
export async function loginOverHttp(client: WebClient, user: string, pin: string, code: string): Promise<WebResponse> {
  const page = await client.get('/login');
  if (page.status !== 200) throw new Error(`login page: ${page.status}\n${page.body}`);
  return client.post('/login', { csrf: csrfOf(page.body), user, pin, code });
}

/** A page of the session's form: its token, to post it. */
export async function sessionCsrf(client: WebClient, path: string): Promise<string> {
  const page = await client.get(path);
  if (page.status !== 200) throw new Error(`${path}: ${page.status}\n${page.body}`);
  return csrfOf(page.body);
}
