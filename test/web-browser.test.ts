// The enrolment in a real browser (Debian's Chromium, headless): the QR code
// read back from a screenshot with zbarimg, the code computed by oathtool, a
// PIN chosen, the recovery codes read off the page; then a call through the
// scripted Asterisk with that PIN and a fresh code, and a recovery code that
// works once. Once with JavaScript, once without, once in French. Then the
// account: log in, change the PIN (a call with the new one succeeds, with the
// old one fails), move to a new phone (its QR code read the same way) and
// call with the new secret's code. Each flow runs once, on SQLite:
// web-enrol.test.ts and web-account.test.ts cover PostgreSQL over HTTP.
// Last, the pbotp authority's console: an approver logs in, pastes the link
// astotp pbotp challenge made, confirms, and the challenger accepts the
// response (pbotp-authority.test.ts has the refusals over HTTP).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { en } from '../src/web/texts/en.js';
import { fr } from '../src/web/texts/fr.js';
import type { Texts } from '../src/web/texts/index.js';
import { chromiumUnavailable, openBrowser, scanQr } from './helpers/browser.js';
import { CliSite } from './helpers/cli-site.js';
import { recoveryEntry, SECRET, totp } from './helpers/site.js';
import { invite, WebServer } from './helpers/web-server.js';
import { spawn } from 'node:child_process';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { APPROVER_PIN, AuthoritySite, startAuthority } from './helpers/authority-site.js';
import { AUTHORITY_PUB } from './helpers/pbotp-authority.js';

const why = chromiumUnavailable();
if (why && process.env.CI) throw new Error(`browser tests cannot run in CI: ${why}`);

const servers: WebServer[] = [];
afterAll(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

/** Runs fn with a browser of its own, closed after it whatever happens. */
async function withBrowser(opts: Parameters<typeof openBrowser>[0], fn: (b: BrowserContext) => Promise<void>): Promise<void> {
  const browser = await openBrowser(opts);
  try {
    await fn(browser);
  } finally {
    await browser.close();
  }
}

async function enrolInBrowser(browser: BrowserContext, opts: { t: Texts; language?: string; pin: string }) {
  const site = new CliSite();
  writeFileSync(
    join(site.confDir, 'astotp.conf'),
    '[general]\ntimeout = 5\nissuer = Example PBX\n[web]\nweb_url = https://otp.example.org\ntest_extension = 777\n',
  );
  site.enroll('9000', '4321');
  const server = await WebServer.start(site.env);
  servers.push(server);
  const token = invite(site, '1001', ['--name', 'Ann Example', ...(opts.language ? ['--language', opts.language] : [])]);
  const { t } = opts;

  const page = await browser.newPage();
  await page.goto(`${server.origin}/enrol/${token}`);
  await expect.poll(() => page.locator('h1').textContent()).toBe(t.start_title);
  expect(await page.locator('main').textContent()).not.toContain('otpauth');
  await page.getByRole('button', { name: t.start_button }).click();
  await page.waitForURL(`${server.origin}/enrol`);
  // The token is gone from the address bar (and from history's last entry).
  expect(page.url()).not.toContain(token);
  expect(await page.locator('h1').textContent()).toBe(t.setup_title);

  const link = (await page.locator('a.add').getAttribute('href'))!;
  expect(link).toMatch(/^otpauth:\/\/totp\/Example%20PBX:1001\?/);
  expect(await scanQr(page, '.qr svg')).toBe(link);
  const secret = (await page.locator('#secret').textContent())!.replace(/\s/g, '');
  expect(new URL(link).searchParams.get('secret')).toBe(secret);
  // The QR code is named for screen readers.
  expect(await page.getByRole('img', { name: t.qr_title }).count()).toBe(1);

  await page.getByLabel(t.code_label).fill(totp(secret).replace(/^(\d{3})/, '$1 '));
  await page.getByLabel(t.pin_label).fill(opts.pin);
  await page.getByLabel(t.pin_again_label).fill(opts.pin);
  await page.getByRole('button', { name: t.finish_button }).click();
  await expect.poll(() => page.locator('h1').textContent()).toBe(t.done_title);
  const codes = await page.locator('#recovery-codes li').allTextContents();
  expect(codes).toHaveLength(5);
  expect(await page.locator('#try').textContent()).toContain('777');

  const call = await site.call({ inputs: ['1001', opts.pin, totp(secret, { offset: 30 })], replyDelayMs: 0 });
  expect(call.variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
  expect((await site.call({ inputs: ['1001', opts.pin, ...recoveryEntry(codes[0]!)] })).variables.ASTOTP).toBe('SUCCESS');
  expect((await site.call({ inputs: ['1001', opts.pin, ...recoveryEntry(codes[0]!)] })).variables.ASTOTP).toBe('FAILURE');
  // Back to the link: used.
  await page.goto(`${server.origin}/enrol/${token}`);
  expect(await page.locator('main').textContent()).toContain(t.ended_used);
  return { page, site };
}

describe.skipIf(why !== null)('the enrolment in Chromium', () => {
  it('scans, types the code, chooses a PIN, and the phone login works', async () => {
    await withBrowser({}, (browser) => enrolInBrowser(browser, { t: en, pin: '2468' }).then(() => undefined));
  }, 60_000);

  it('works the same with JavaScript disabled', async () => {
    await withBrowser({ javaScript: false }, (browser) => enrolInBrowser(browser, { t: en, pin: '1357' }).then(() => undefined));
  }, 60_000);

  it("speaks French to a French browser, and the user's language becomes French", async () => {
    await withBrowser({ locale: 'fr-FR' }, async (browser) => {
      const { page, site } = await enrolInBrowser(browser, { t: fr, pin: '9753' });
      expect(await page.locator('html').getAttribute('lang')).toBe('fr');
      expect(JSON.parse(site.cli(['show', '1001', '--json']).stdout).language).toBe('fr');
    });
  }, 60_000);
});

describe.skipIf(why !== null)('the account in Chromium', () => {
  it('logs in, changes the PIN, moves to a new phone, and the phone login follows each', async () => {
    const site = new CliSite();
    // window 6: the flow types codes of seven steps in a row, each newer than the last.
    writeFileSync(join(site.confDir, 'astotp.conf'), '[general]\ntimeout = 5\nwindow = 6\n[web]\nweb_url = https://otp.example.org\n');
    site.enroll('1001', '4321');
    const server = await WebServer.start(site.env);
    servers.push(server);
    const code = (steps: number, secret = SECRET) => totp(secret, { offset: steps * 30 });
    const call = (pin: string, c: string) => site.call({ inputs: ['1001', pin, c], replyDelayMs: 0 });
    await withBrowser({}, async (browser) => {
      const page = await browser.newPage();
      const logIn = async (pin: string, c: string) => {
        await page.goto(`${server.origin}/login`);
        await page.getByLabel(en.user_label).fill('1001');
        await page.getByLabel(en.current_pin_label).fill(pin);
        await page.getByLabel(en.login_code_label).fill(c);
        await page.getByRole('button', { name: en.login_button }).click();
        await expect.poll(() => page.locator('h1').textContent()).toBe(en.account_title);
      };
      /** The confirmation every change asks for: the PIN and a fresh code. */
      const confirm = async (pin: string, c: string) => {
        const box = page.getByRole('group', { name: en.confirm_legend });
        await box.getByLabel(en.current_pin_label).fill(pin);
        await box.getByLabel(en.login_code_label).fill(c);
      };

      await logIn('4321', code(0));
      expect(await page.locator('main').textContent()).toContain('Logged in as user ID 1001.');
      await page.getByRole('link', { name: en.action_pin }).click();
      await page.getByLabel(en.new_pin_label, { exact: true }).fill('8642');
      await page.getByLabel(en.new_pin_again_label).fill('8642');
      await confirm('4321', code(1));
      await page.getByRole('button', { name: en.pin_button }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe(en.pin_done_title);
      expect((await call('4321', code(2))).variables.ASTOTP).toBe('FAILURE');
      expect((await call('8642', code(2))).variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });

      // The PIN change logged this browser out too.
      await page.goto(`${server.origin}/account`);
      expect(page.url()).toBe(`${server.origin}/login`);
      await logIn('8642', code(3));
      await page.getByRole('link', { name: en.action_phone }).click();
      await confirm('8642', code(4));
      await page.getByRole('button', { name: en.phone_button }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe(en.phone_setup_title);
      const link = (await page.locator('a.add').getAttribute('href'))!;
      expect(link).toMatch(/^otpauth:\/\/totp\/Asterisk:1001\?/);
      expect(await scanQr(page, '.qr svg')).toBe(link);
      const secret = new URL(link).searchParams.get('secret')!;
      expect((await page.locator('#secret').textContent())!.replace(/\s/g, '')).toBe(secret);
      // Until the new app's code is typed, the old phone is the one.
      expect((await call('8642', code(5))).variables.ASTOTP).toBe('SUCCESS');
      await page.getByLabel(en.phone_code_label).fill(code(0, secret));
      await page.getByRole('button', { name: en.phone_finish }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe(en.phone_done_title);
      expect((await call('8642', code(6))).variables.ASTOTP).toBe('FAILURE');
      expect((await call('8642', code(1, secret))).variables).toMatchObject({ ASTOTP: 'SUCCESS', ASTOTP_USER: '1001' });
    });
  }, 90_000);
});

describe.skipIf(why !== null)('the pbotp authority in Chromium', () => {
  it('an approver logs in, pastes the link a device made, confirms, and the device accepts the response', async () => {
    const site = new AuthoritySite();
    site.approver('alice', 'pbx');
    const server = await startAuthority(site);
    servers.push(server);
    const device = spawn(
      process.execPath,
      [
        BUNDLE_PATH,
        'pbotp',
        'challenge',
        '--pubkey',
        AUTHORITY_PUB,
        '--group',
        'pbx',
        '--host',
        'pbx1',
        '--user',
        'root',
        '--base-url',
        server.origin,
        '--qr',
        'none',
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: site.varDir } },
    );
    let said = '';
    let err = '';
    device.stdout.setEncoding('utf8').on('data', (c: string) => (said += c));
    device.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exit = new Promise<number | null>((resolve) => device.on('close', resolve));
    try {
      await expect.poll(() => /^URL: (\S+)$/m.exec(said)?.[1], { timeout: 10_000 }).toBeDefined();
      const link = /^URL: (\S+)$/m.exec(said)![1]!;
      await withBrowser({}, async (browser) => {
        const page = await browser.newPage();
        await page.goto(`${server.origin}/`);
        await expect.poll(() => page.locator('h1').textContent()).toBe('Approver login');
        await page.getByLabel('User ID').fill('alice');
        await page.getByLabel('PIN').fill(APPROVER_PIN);
        await page.getByLabel('Code').fill(totp());
        await page.getByRole('button', { name: 'Log in' }).click();
        await expect.poll(() => page.locator('h1').textContent()).toBe('Approve a login');
        await page.getByLabel('Link').fill(link);
        await page.getByRole('button', { name: 'Show the login' }).first().click();
        await expect.poll(() => page.locator('h1').textContent()).toBe('Approve root on pbx1?');
        expect(await page.locator('#group').textContent()).toBe('pbx');
        await page.getByRole('button', { name: 'Approve and show the response' }).click();
        await expect.poll(() => page.locator('h1').textContent()).toBe('Response for root on pbx1');
        const code = (await page.locator('#code').textContent())!;
        device.stdin.end(`${code}\n`);
      });
      expect(await exit).toBe(0);
      expect(err).toBe('pbotp: accepted\n');
      const rows = site.json<Array<{ reason: string; detail: string; channel: string }>>(['log', '--approver', 'alice']).value;
      expect(rows).toEqual([expect.objectContaining({ reason: 'pbotp-response', channel: 'pbotp/web' })]);
      expect(rows[0]!.detail).toMatch(/^group pbx, host pbx1, user root, challenge sha256 [0-9a-f]{32}$/);
    } finally {
      device.kill();
      site.remove();
    }
  }, 90_000);
});
