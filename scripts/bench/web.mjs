// The web rows of npm run bench: LOGINS web logins at once on serve-web next
// to as many FastAGI calls at once on serve-agi, on the same kind of site
// (SQLite, USERS users all typing the same code, so each succeeds once and
// the replays fail as they must): both are bound by the PIN's scrypt. Each
// login comes from a client address of its own (X-Forwarded-For behind
// --trust-proxy), or the per-address throttle would refuse most of them
// unjudged. Then one failed login at a time, by what was wrong: the answer
// must not take longer or shorter for one kind than for another.
// BENCH_ONLY=web runs only these rows.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, msSince, percentile, processCpuMs } from './measure.mjs';

const LOGINS = Number(process.env.BENCH_WEB_LOGINS ?? 200);
const TIMING_RUNS = Number(process.env.BENCH_WEB_RUNS ?? 30);
const USERS = Array.from({ length: 10 }, (_, i) => String(1001 + i));
const PIN = '4321';

function webSite(h) {
  const site = new h.Site();
  writeFileSync(
    join(site.confDir, 'astotp.conf'),
    '[general]\ntimeout = 10\ntries = 1\nlockout_failures = 100000\n[web]\nweb_url = https://otp.example.org\n',
  );
  for (const u of USERS) site.enroll(u, PIN);
  site.enroll('2001', PIN); // disabled below
  site.enroll('2002', PIN); // locked below
  return site;
}

/** A browser of its own address that has fetched the login page: its form token. */
async function browserAt(h, origin, n) {
  const client = new h.WebClient(origin, { headers: { 'x-forwarded-for': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } });
  const page = await client.get('/login');
  if (page.status !== 200) throw new Error(`bench: login page answered ${page.status}`);
  return { client, csrf: /name="csrf" value="([^"]+)"/.exec(page.body)[1] };
}

async function timedLogin(b, form) {
  const start = process.hrtime.bigint();
  const r = await b.client.post('/login', { csrf: b.csrf, ...form });
  return { wallMs: msSince(start), status: r.status };
}

async function atOnce(n, one) {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const totalMs = msSince(start);
  const lat = results.map((r) => r.wallMs);
  return { results, perSecond: n / (totalMs / 1000), p50: median(lat), p99: percentile(lat, 99) };
}

export async function webRows(h, note) {
  const site = webSite(h);
  const db = new Database(site.db, { timeout: 5000 });
  db.prepare("UPDATE users SET enabled = 0 WHERE id = '2001'").run();
  db.prepare("UPDATE users SET locked_until = ? WHERE id = '2002'").run(Math.floor(Date.now() / 1000) + 86400);
  db.close();
  const reset = () => {
    const d = new Database(site.db, { timeout: 5000 });
    d.prepare(`UPDATE users SET last_step = NULL WHERE id IN (${USERS.map(() => '?').join(', ')})`).run(...USERS);
    d.close();
  };

  const web = await h.WebServer.start(site.env, ['--trust-proxy', '127.0.0.1', '--max-connections', String(LOGINS * 2)]);
  let webBatch;
  let webCpu;
  let timings;
  try {
    note(`web: ${LOGINS} logins at once on serve-web`);
    const browsers = await Promise.all(Array.from({ length: LOGINS }, (_, i) => browserAt(h, web.origin, i + 1)));
    const code = h.totp();
    const cpu0 = processCpuMs(web.child.pid);
    webBatch = await atOnce(LOGINS, (i) => timedLogin(browsers[i], { user: USERS[i % USERS.length], pin: PIN, code }));
    webCpu = (processCpuMs(web.child.pid) - cpu0) / LOGINS;

    note(`web: ${TIMING_RUNS} failed logins of each kind, one at a time`);
    reset();
    const kinds = {
      'wrong PIN': () => ({ user: '1001', pin: '9999', code: h.totp() }),
      'wrong code': () => ({ user: '1001', pin: PIN, code: h.wrongCode() }),
      'unknown user': () => ({ user: '7777', pin: PIN, code: h.totp() }),
      'disabled user': () => ({ user: '2001', pin: PIN, code: h.totp() }),
      'locked user': () => ({ user: '2002', pin: PIN, code: h.totp() }),
    };
    const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    let n = LOGINS + 1;
    // Interleaved, so that the machine's other load falls on every kind alike.
    for (let run = 0; run < TIMING_RUNS; run++)
      for (const [kind, form] of Object.entries(kinds)) {
        const b = await browserAt(h, web.origin, ++n);
        const r = await timedLogin(b, form());
        if (r.status !== 400) throw new Error(`bench: a login with a ${kind} answered ${r.status}`);
        samples[kind].push(r.wallMs);
      }
    timings = Object.entries(samples).map(([kind, ms]) => ({ kind, median: median(ms), p90: percentile(ms, 90) }));
  } finally {
    await web.stop();
  }

  note(`web: ${LOGINS} FastAGI calls at once on serve-agi, for comparison`);
  reset();
  const agi = await h.AgiServer.start(site.env, ['--max-sessions', String(LOGINS * 2)], h.BUNDLE_PATH);
  let agiBatch;
  let agiCpu;
  try {
    const code = h.totp();
    const cpu0 = processCpuMs(agi.child.pid);
    agiBatch = await atOnce(LOGINS, async (i) => {
      const start = process.hrtime.bigint();
      const r = await h.fastAgiCall({
        port: agi.port,
        inputs: [USERS[i % USERS.length], PIN, code],
        replyDelayMs: 0,
        timeoutMs: 300_000,
      });
      return { wallMs: msSince(start), reason: r.variables.ASTOTP_REASON ?? 'none' };
    });
    agiCpu = (processCpuMs(agi.child.pid) - cpu0) / LOGINS;
  } finally {
    await agi.stop();
  }

  const webCounts = { ok: 0, 'bad-credentials': 0, errors: 0 };
  for (const r of webBatch.results) webCounts[r.status === 303 ? 'ok' : r.status === 400 ? 'bad-credentials' : 'errors']++;
  const agiCounts = { ok: 0, 'bad-credentials': 0, errors: 0 };
  for (const r of agiBatch.results) agiCounts[r.reason in agiCounts && r.reason !== 'errors' ? r.reason : 'errors']++;
  return { web: { ...webBatch, cpuMs: webCpu, counts: webCounts }, agi: { ...agiBatch, cpuMs: agiCpu, counts: agiCounts }, timings };
}

export function printWebRows(w) {
  const ms = (v) => `${v.toFixed(1)} ms`;
  const rows = [
    ['case', 'per second', 'p50', 'p99', 'errors', 'server CPU each', 'outcomes'],
    ...[
      [`${LOGINS} web logins at once (serve-web)`, w.web],
      [`${LOGINS} FastAGI calls at once (serve-agi)`, w.agi],
    ].map(([name, b]) => [
      name,
      b.perSecond.toFixed(1),
      ms(b.p50),
      ms(b.p99),
      String(b.counts.errors),
      ms(b.cpuMs),
      `${b.counts.ok} ok, ${b.counts['bad-credentials']} bad-credentials (replays)`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\nWeb logins next to FastAGI calls (SQLite, one server each; ${USERS.length} users, one code, each from its own address):`);
  console.log(line(rows[0]));
  console.log(widths.map((x) => '-'.repeat(x)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log(
    `throughput of web logins ${(w.web.perSecond / w.agi.perSecond).toFixed(2)}x of FastAGI calls; p99 ${(w.web.p99 / w.agi.p99).toFixed(2)}x`,
  );
  console.log(
    `One failed web login at a time, median (p90) of ${TIMING_RUNS} each: ${w.timings.map((t) => `${t.kind} ${ms(t.median)} (${ms(t.p90)})`).join(', ')}`,
  );
}
