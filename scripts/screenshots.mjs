// npm run screenshots: the pictures README shows of the enrolment pages,
// taken from the real pages of the built bundle's serve-web in headless
// Chromium (as the browser tests drive it), at a phone's width. Not part of
// the tests: it writes docs/enrol-start.png and docs/enrol-setup.png.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHelpers, ROOT } from './bench/helpers.mjs';

const h = await loadHelpers(['web-server', 'browser', 'cli-site']);
const why = h.chromiumUnavailable();
if (why) throw new Error(`screenshots: ${why}`);
const out = join(ROOT, 'docs');
mkdirSync(out, { recursive: true });

const site = new h.CliSite();
writeFileSync(
  join(site.confDir, 'astotp.conf'),
  '[general]\nissuer = Example PBX\n[web]\nweb_url = https://otp.example.org\ntest_extension = 777\n',
);
site.enroll('9000', '4321');
const server = await h.WebServer.start(site.env);
const browser = await h.openBrowser({ viewport: { width: 412, height: 915 } });
try {
  const token = h.invite(site, '1001', ['--name', 'Ann Example', '--activation-code']);
  const page = await browser.newPage();
  await page.goto(`${server.origin}/enrol/${token}`);
  await page.screenshot({ path: join(out, 'enrol-start.png'), fullPage: true });
  // A second invitation without the code, to reach the set-up page.
  const plain = h.invite(site, '1002', ['--name', 'Ann Example']);
  await page.goto(`${server.origin}/enrol/${plain}`);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(`${server.origin}/enrol`);
  await page.screenshot({ path: join(out, 'enrol-setup.png'), fullPage: true });
  console.error(`wrote ${join(out, 'enrol-start.png')} and ${join(out, 'enrol-setup.png')}`);
} finally {
  await browser.close();
  await server.stop();
  await h.removeTempDirs();
}
