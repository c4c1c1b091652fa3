// Debian's Chromium, headless, driven by playwright-core: a fresh profile
// each time, and every feature that would reach out of this machine off
// (background networking, component updates, sync, QUIC), since the only
// servers it may talk to are the test's own on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './temp.js';

const CHROMIUM = '/usr/bin/chromium';

/** Why no browser test can run here, or null. */
export function chromiumUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (scripts/need-debian-tools.sh installs Debian's chromium)`;
}

export interface BrowserOptions {
  javaScript?: boolean;
  /** The browser's language, sent as Accept-Language. */
  locale?: string;
  viewport?: { width: number; height: number };
}

export async function openBrowser(opts: BrowserOptions = {}): Promise<BrowserContext> {
  const args = [
    '--headless',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launchPersistentContext(tempDir('astotp-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args,
    javaScriptEnabled: opts.javaScript ?? true,
    locale: opts.locale ?? 'en-US',
    viewport: opts.viewport ?? { width: 800, height: 1100 },
  });
}

/** The text of the QR code an element shows, read from a screenshot of it by zbarimg. */
export async function scanQr(page: Page, selector: string): Promise<string> {
  const png = join(tempDir('astotp-qr-'), 'qr.png');
  writeFileSync(png, await page.locator(selector).screenshot());
  return execFileSync('zbarimg', ['--quiet', '--raw', png], { encoding: 'utf8' }).trim();
}
