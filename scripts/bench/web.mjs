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
import { atOnce, median, msSince, percentile, processCpuMs } from './measure.mjs';
import { tableLines } from './table.mjs';

const LOGINS = Number(process.env.BENCH_WEB_LOGINS ?? 200);
const TIMING_RUNS = Number(process.env.BENCH_WEB_RUNS ?? 30);
const USERS = Array.from({ length: 10 }, (_, i) => String(1001 + i));
const PIN = '4321';

function webSite(h) {
  const site = new h.Site();
  writeFileSync(
    join(site.confDir, 'astotp.conf'),
    '[general]\ntimeout = 10\ntries = 1\nlockout_failures = 1000\n[web]\nweb_url = https://otp.example.org\n',
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

/** The rows by name; each is measured or, when it cannot be, printed with why. */
export const WEB_ROW = {
  logins: `${LOGINS} web logins at once (serve-web)`,
  agi: `${LOGINS} FastAGI calls at once (serve-agi)`,
  failures: 'one failed web login at a time, by what was wrong',
};

/** `measure(names, fn)`: fn's result, or null with each of names left out and why (bench.mjs). */
export async function webRows(h, note, measure) {
  const all = Object.values(WEB_ROW);
  const site = await measure(all, () => {
    const s = webSite(h);
    const db = new Database(s.db, { timeout: 5000 });
    db.prepare("UPDATE users SET enabled = 0 WHERE id = '2001'").run();
    db.prepare("UPDATE users SET locked_until = ? WHERE id = '2002'").run(Math.floor(Date.now() / 1000) + 86400);
    db.close();
    return s;
  });
  if (site === null) return { web: null, agi: null, timings: null };
  const reset = () => {
    const d = new Database(site.db, { timeout: 5000 });
    d.prepare(`UPDATE users SET last_step = NULL WHERE id IN (${USERS.map(() => '?').join(', ')})`).run(...USERS);
    d.close();
  };

  const server = await measure([WEB_ROW.logins, WEB_ROW.failures], () =>
    h.WebServer.start(site.env, ['--trust-proxy', '127.0.0.1', '--max-connections', String(LOGINS * 2)]),
  );
  let web = null;
  let timings = null;
  if (server) {
    try {
      web = await measure(WEB_ROW.logins, async () => {
        note(`web: ${LOGINS} logins at once on serve-web`);
        const browsers = await Promise.all(Array.from({ length: LOGINS }, (_, i) => browserAt(h, server.origin, i + 1)));
        const code = h.totp();
        const cpu0 = processCpuMs(server.child.pid);
        const b = await atOnce(LOGINS, (i) => timedLogin(browsers[i], { user: USERS[i % USERS.length], pin: PIN, code }));
        const counts = { ok: 0, 'bad-credentials': 0, errors: 0 };
        for (const r of b.results) counts[r.status === 303 ? 'ok' : r.status === 400 ? 'bad-credentials' : 'errors']++;
        return { ...b, cpuMs: (processCpuMs(server.child.pid) - cpu0) / LOGINS, counts };
      });
      timings = await measure(WEB_ROW.failures, async () => {
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
            const b = await browserAt(h, server.origin, ++n);
            const r = await timedLogin(b, form());
            if (r.status !== 400) throw new Error(`a login with a ${kind} answered ${r.status}`);
            samples[kind].push(r.wallMs);
          }
        return Object.entries(samples).map(([kind, ms]) => ({ kind, median: median(ms), p90: percentile(ms, 90) }));
      });
    } finally {
      await server.stop();
    }
  }

  const agi = await measure(WEB_ROW.agi, async () => {
    note(`web: ${LOGINS} FastAGI calls at once on serve-agi, for comparison`);
    reset();
    const s = await h.AgiServer.start(site.env, ['--max-sessions', String(LOGINS * 2)], h.BUNDLE_PATH);
    try {
      const code = h.totp();
      const cpu0 = processCpuMs(s.child.pid);
      const b = await atOnce(LOGINS, async (i) => {
        const start = process.hrtime.bigint();
        const r = await h.fastAgiCall({ port: s.port, inputs: [USERS[i % USERS.length], PIN, code], replyDelayMs: 0, timeoutMs: 300_000 });
        return { wallMs: msSince(start), reason: r.variables.ASTOTP_REASON ?? 'none' };
      });
      const counts = { ok: 0, 'bad-credentials': 0, errors: 0 };
      for (const r of b.results) counts[r.reason === 'ok' || r.reason === 'bad-credentials' ? r.reason : 'errors']++;
      return { ...b, cpuMs: (processCpuMs(s.child.pid) - cpu0) / LOGINS, counts };
    } finally {
      await s.stop();
    }
  });
  return { web, agi, timings };
}

export function printWebRows(w, leftOut) {
  const ms = (v) => `${v.toFixed(1)} ms`;
  const row = (name, b) =>
    b === null
      ? [name, '', '', '', '', '', `not measured: ${leftOut.get(name) ?? 'see above'}`]
      : [
          name,
          b.perSecond.toFixed(1),
          ms(b.p50),
          ms(b.p99),
          String(b.counts.errors),
          ms(b.cpuMs),
          `${b.counts.ok} ok, ${b.counts['bad-credentials']} bad-credentials (replays)`,
        ];
  const rows = [
    ['case', 'per second', 'p50', 'p99', 'errors', 'server CPU each', 'outcomes'],
    row(WEB_ROW.logins, w.web),
    row(WEB_ROW.agi, w.agi),
  ];
  console.log(
    `\nWeb logins next to FastAGI calls (SQLite, one server each; ${USERS.length} users, one code, each login from its own address):`,
  );
  for (const l of tableLines(rows)) console.log(l);
  if (w.web && w.agi)
    console.log(
      `web logins: throughput ${(w.web.perSecond / w.agi.perSecond).toFixed(2)}x, p99 ${(w.web.p99 / w.agi.p99).toFixed(2)}x of the FastAGI calls'`,
    );
  console.log(
    w.timings === null
      ? `${WEB_ROW.failures}: not measured: ${leftOut.get(WEB_ROW.failures) ?? 'see above'}`
      : `One failed web login at a time, median (p90) of ${TIMING_RUNS} each: ${w.timings.map((t) => `${t.kind} ${ms(t.median)} (${ms(t.p90)})`).join(', ')}`,
  );
}
