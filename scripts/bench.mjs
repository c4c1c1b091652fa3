// npm run bench: what a call costs, classic AGI against FastAGI, measured on
// the built dist/astotp with the scripted Asterisk of the tests (instant
// replies), and printed as one table whose ratios all come from this run.
// BENCH_RUNS (default 20) sets the repetitions of the single-call rows;
// BENCH_ONLY=import runs only the rows of astotp import (scripts/bench/import.mjs),
// BENCH_ONLY=web only the web logins next to FastAGI calls (scripts/bench/web.mjs).
// BENCH_ONLY=classic only the single classic calls and where their CPU goes;
// BENCH_BASELINE=FILE adds the single classic calls of another build of
// astotp (an older dist/astotp, say) to the same rounds.
// Classic calls run the bundle as Asterisk does (the file itself, so /bin/sh
// and its launcher line), with the code cache in a directory of this run.
// The PostgreSQL rows run against a throwaway server of the tests' harness
// (test/helpers/postgres.ts), stopped at the end however the bench ends;
// where none can be started they are left out, with the reason. A row that
// cannot be measured is printed with why, the others still run, and the
// bench exits 1.
import './bench/private-tmp.mjs';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadHelpers } from './bench/helpers.mjs';
import { importRows, printImportRows } from './bench/import.mjs';
import { printWebRows, webRows } from './bench/web.mjs';
import { tableLines } from './bench/table.mjs';
import { PARTS, partsOf, probeCall } from './bench/parts.mjs';
import {
  atOnce as batch,
  backendsOf,
  median,
  msSince,
  peakDuring,
  processCpuMs,
  processPeakRssMb,
  serverTreeCpuMs,
  spawnMeasured,
  usageFile,
} from './bench/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BASELINE = process.env.BENCH_BASELINE;
const CLASSIC_AT_ONCE = 100;
const FASTAGI_AT_ONCE = 1000;
/** PostgreSQL's default max_connections, of which superuser_reserved_connections (3) are not for astotp. */
const PG_DEFAULT_MAX_CONNECTIONS = 100;
/** A caller who takes a second per prompt: long enough that all the classic calls of a batch are in progress together, as real ones are. */
const HUMAN_REPLY_MS = 1000;
const USERS = Array.from({ length: 10 }, (_, i) => String(1001 + i));
const PIN = '4321';

const h = await loadHelpers(['web-server']);
if (!existsSync(h.BUNDLE_PATH)) throw new Error('bench: dist/astotp is missing; run node build.mjs first');
const note = (line) => process.stderr.write(`bench: ${line}\n`);

/** Why each row (or step rows need) could not be measured, by its name. */
const leftOut = new Map();
const reasonOf = (err) => (err instanceof Error ? err.message : String(err)).trim().split('\n')[0];
/**
 * fn's result, or null when it fails: then each of `names` (a row, or a step
 * rows need) is left out with the reason, said here and in the table, and the
 * bench goes on. A name left out once is not tried again.
 */
async function measure(names, fn) {
  const list = [names].flat();
  if (list.every((n) => leftOut.has(n))) return null;
  try {
    return await fn();
  } catch (err) {
    for (const n of list) if (!leftOut.has(n)) leftOut.set(n, reasonOf(err));
    note(`not measured: ${list.join('; ')}: ${reasonOf(err)}`);
    return null;
  }
}
/** `value`, or a failure that names the step it needed. */
function need(value, what) {
  if (value === null || value === undefined) throw new Error(`${what} could not be made (${leftOut.get(what) ?? 'see above'})`);
  return value;
}

/** A PBX with USERS enrolled; lockout high enough for the replays of the concurrent rows. */
function makeSite() {
  const site = new h.Site();
  site.config({ timeout: 10, tries: 1, lockout_failures: 1000 }, { nopin: { ask_pin: 'no' } });
  for (const u of USERS) site.enroll(u, PIN);
  return site;
}

/** Makes the users' codes good again: every single-call row is a real SUCCESS. */
async function resetUsers(site) {
  if (site instanceof h.PgSite) {
    await site.server.query('UPDATE users SET failures = 0, locked_until = NULL WHERE id = ANY($1)', [USERS]);
    await site.server.query('UPDATE tokens SET last_step = NULL WHERE user_id = ANY($1)', [USERS]);
    return;
  }
  const db = new Database(site.db, { timeout: 5000 });
  // Only the enrolled users: rewriting 100,000 dummy rows would fill the WAL and bill the server's next commit for the checkpoint.
  const ids = USERS.map(() => '?').join(', ');
  db.prepare(`UPDATE users SET failures = 0, locked_until = NULL WHERE id IN (${ids})`).run(...USERS);
  db.prepare(`UPDATE tokens SET last_step = NULL WHERE user_id IN (${ids})`).run(...USERS);
  db.close();
}

/** The user who holds the most tokens a user may: an app and two HOTP fobs; its calls type the last fob's codes. */
const FOB_USER = '2001';
const FOB_SECRETS = [Buffer.from('bench-fob-secret-one-'), Buffer.from('bench-fob-secret-two-')];
function giveFobs(site) {
  site.enroll(FOB_USER, PIN);
  const file = join(site.astDir, 'bench-fobs.xml');
  writeFileSync(file, h.plainPskc(FOB_SECRETS.map((secret, i) => ({ serial: `BENCH-F${i + 1}`, kind: 'hotp', secret }))));
  const assign = join(site.astDir, 'bench-fobs.csv');
  writeFileSync(assign, 'BENCH-F1,2001\nBENCH-F2,2001\n');
  const r = site.cli(['import', '--pskc', file, '--assign', assign]);
  if (r.status !== 0) throw new Error(`import --pskc failed: ${r.stderr}`);
}
/** The last fob's code of press `n`, from oathtool. */
const lastFobCode = (n) =>
  execFileSync('oathtool', ['--hotp', '-c', String(n), FOB_SECRETS[1].toString('hex')], { encoding: 'utf8' }).trim();

const isBusy = (text) => /SQLITE_BUSY|database .* is busy/i.test(text ?? '');

/** The V8 code cache of this run's calls (src/native/code-cache.ts), private like the run's temp dir it lies in. */
const CACHE_DIR = join(process.env.TMPDIR, 'astotp-cache');
/** The module probe's build gets one of its own: its calls without a cache must not take dist/astotp's. */
const PROBE_CACHE_DIR = join(process.env.TMPDIR, 'astotp-probe-cache');
for (const dir of [CACHE_DIR, PROBE_CACHE_DIR]) mkdirSync(dir, { mode: 0o700 });
/** Removes the code caches: the next call is the first of this build, as after an install or upgrade (the addon's copy stays). */
const dropCodeCache = (dir = CACHE_DIR) => {
  for (const f of readdirSync(dir)) if (f.startsWith('code-')) unlinkSync(join(dir, f));
};

/** One classic call as Asterisk spawns it, with the child's own CPU and RSS; `cold`: without a code cache. */
async function classicCall(site, user, code, { pinless = false, replyDelayMs = 0, cold = false, bundle = h.BUNDLE_PATH } = {}) {
  if (cold) dropCodeCache();
  const usage = usageFile();
  const start = process.hrtime.bigint();
  const r = await h.runCall({
    astDir: site.astDir,
    command: bundle,
    commandArgs: [],
    env: { ...usage.env, ASTOTP_CACHE_DIR: CACHE_DIR, ...(site instanceof h.PgSite ? { PGPASSWORD: site.server.password } : {}) },
    args: pinless ? ['profile=nopin'] : [],
    inputs: pinless ? [user, code] : [user, PIN, code],
    replyDelayMs,
    timeoutMs: 300_000,
  });
  return { wallMs: msSince(start), ...usage.read(), r };
}

async function fastCall(server, user, code) {
  const start = process.hrtime.bigint();
  const r = await h.fastAgiCall({ port: server.port, inputs: [user, PIN, code], replyDelayMs: 0, timeoutMs: 300_000 });
  return { wallMs: msSince(start), r };
}

function mustSucceed(what, r) {
  if (r.variables.ASTOTP !== 'SUCCESS') throw new Error(`bench: ${what} did not succeed: ${JSON.stringify(r.variables)} ${r.stderr ?? ''}`);
}

/** Outcome counts of a batch: a replayed code is a correct FAILURE, anything else is an error. */
function tally(results, serverLog = '') {
  const reasons = {};
  let errors = 0;
  let tooManyClients = 0;
  const why = new Set();
  let busy = isBusy(serverLog) ? (serverLog.match(/SQLITE_BUSY|database .* is busy/gi) ?? []).length : 0;
  for (const { r } of results) {
    const reason = r.variables.ASTOTP_REASON ?? 'none';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    if (!['ok', 'bad-credentials'].includes(reason) || r.violations.length > 0 || (r.exitCode !== null && r.exitCode !== 0)) {
      errors++;
      why.add(r.variables.ASTOTP_ERROR ?? (r.violations[0] || r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`));
    }
    if (isBusy(r.stderr) || isBusy(r.variables.ASTOTP_ERROR)) busy++;
    if (/too many clients|53300/.test(r.variables.ASTOTP_ERROR ?? '')) tooManyClients++;
  }
  // The table has room for a count only; what the errors were goes to the log.
  for (const w of why) note(`error: ${w}`);
  return { reasons, errors, busy, tooManyClients };
}

/** A copy of the site's database (and key) with dummy users added up to `total`. */
function siteWithUsers(base, total) {
  const site = new h.Site();
  site.config({ timeout: 10, tries: 1, lockout_failures: 1000 });
  const src = new Database(base.db, { timeout: 5000 });
  src.exec(`VACUUM INTO '${site.db.replaceAll("'", "''")}'`);
  src.close();
  copyFileSync(base.keyFile, site.keyFile);
  const db = new Database(site.db);
  const now = Math.floor(Date.now() / 1000);
  // Never verified, so the secret box need not open: it only has to exist, as a row of that size does.
  const insert = db.prepare(
    "INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, created_at, updated_at) VALUES (?, NULL, randomblob(66), 'SHA1', 6, 30, ?, ?)",
  );
  db.transaction(() => {
    for (let i = USERS.length; i < total; i++) insert.run(`9${String(i).padStart(6, '0')}`, now, now);
  })();
  db.close();
  return site;
}

/** Sequential successful calls against a server: median latency and server CPU per call. */
async function serialFastCalls(site, server, runs) {
  const cpu0 = processCpuMs(server.child.pid);
  const walls = [];
  for (let i = 0; i < runs; i++) {
    await resetUsers(site);
    const { wallMs, r } = await fastCall(server, USERS[0], h.totp());
    mustSucceed('FastAGI call', r);
    walls.push(wallMs);
  }
  return { wallMs: median(walls), cpuMs: (processCpuMs(server.child.pid) - cpu0) / runs };
}

/** Two PBXs (pbx-a, pbx-b) of one site on the server's database, USERS enrolled through pbx-a's CLI. */
function makePgSites(server) {
  const a = new h.PgSite(server);
  a.config({ timeout: 10, tries: 1, lockout_failures: 1000 });
  for (const u of USERS) a.enroll(u, PIN);
  const b = a.sibling('pbx-b');
  b.config({ timeout: 10, tries: 1, lockout_failures: 1000 });
  return [a, b];
}

const pgAgiServer = (site) =>
  h.AgiServer.start({ ...site.env, AST_CONFIG_DIR: site.confDir }, ['--max-sessions', String(FASTAGI_AT_ONCE)], h.BUNDLE_PATH);

/** What serve-agi said at shutdown: calls served, transactions run again after conflicts. */
function shutdownCounts(server) {
  const m = /served (\d+) calls?; (\d+) transactions? run again after conflicts/.exec(server.log);
  if (!m) throw new Error(`bench: serve-agi did not report its calls at shutdown:\n${server.log.slice(-2000)}`);
  return { served: Number(m[1]), retries: Number(m[2]) };
}

/**
 * The single-call rows, interleaved: bare node, classic calls with and
 * without PIN from the code cache and without one (the first call of a
 * build), and on PostgreSQL when `pgA` is given. The calls without a cache
 * come first in each round, so the cache the others use was written by a
 * call with PIN, as on a PBX whose first call after an upgrade asks one.
 */
async function singleCalls(site, pgA) {
  note(
    `single calls: ${RUNS} x bare node, classic calls with and without PIN, with and without the code cache${pgA ? ', and on PostgreSQL' : ''} (interleaved)`,
  );
  const cases = [
    ['coldNopin', { pinless: true, cold: true }],
    ['coldPin', { cold: true }],
    ['pin', {}],
    ['nopin', { pinless: true }],
    ...(BASELINE
      ? [
          ['basePin', { bundle: BASELINE }],
          ['baseNopin', { pinless: true, bundle: BASELINE }],
        ]
      : []),
  ];
  const runs = { bare: [], pg: [], ...Object.fromEntries(cases.map(([k]) => [k, []])) };
  for (let i = 0; i < RUNS; i++) {
    runs.bare.push(await spawnMeasured(['-e', '']));
    for (const [k, opts] of cases) {
      await resetUsers(site);
      const c = await classicCall(site, USERS[0], h.totp(), opts);
      mustSucceed(`classic call (${k})`, c.r);
      runs[k].push(c);
    }
    if (pgA) {
      await resetUsers(pgA);
      const c = await classicCall(pgA, USERS[0], h.totp());
      mustSucceed('classic call on PostgreSQL', c.r);
      runs.pg.push(c);
    }
  }
  return runs;
}

/**
 * Where the CPU of a classic call goes, from the module probe's build run as
 * Asterisk runs the bundle (scripts/bench/parts.mjs): median CPU ms per part,
 * with and without PIN from the code cache, and without PIN and a cache.
 */
async function callParts(site) {
  note(`where the CPU goes: ${RUNS} x 3 calls of the module probe's build`);
  const { path: copy } = h.probedBundle(h.BUNDLE_PATH);
  const cases = [
    ['nopin', { pinless: true }],
    ['pin', {}],
    ['coldNopin', { pinless: true, cold: true }],
  ];
  const one = async ({ pinless = false, cold = false }, i) => {
    if (cold) dropCodeCache(PROBE_CACHE_DIR);
    await resetUsers(site);
    return probeCall(h, {
      copy,
      astDir: site.astDir,
      probe: join(site.astDir, `probe-${i}.json`),
      env: { ASTOTP_CACHE_DIR: PROBE_CACHE_DIR },
      args: pinless ? ['profile=nopin'] : [],
      inputs: pinless ? [USERS[0], h.totp()] : [USERS[0], PIN, h.totp()],
    });
  };
  await one({}, 0); // this build's own code cache, written by a call with PIN
  const runs = Object.fromEntries(cases.map(([k]) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, opts] of cases) runs[k].push(partsOf(await one(opts, i)));
  const medians = (rs) => Object.fromEntries([...PARTS.map(([k]) => k), 'total'].map((k) => [k, median(rs.map((r) => r[k]))]));
  return Object.fromEntries(cases.map(([k]) => [k, medians(runs[k])]));
}

/** The single classic calls against bare node, each part of their CPU, and the issue's targets: lines to print under the table. */
function classicReport(single, parts) {
  const cpu = (rows) => median(rows.map((r) => r.cpuMs));
  const floor = cpu(single.bare);
  const [pin, nopin] = [cpu(single.pin), cpu(single.nopin)];
  const ms = (v) => `${v.toFixed(1)} ms`.padStart(9);
  const lines = [
    '',
    `Where a classic call's CPU goes (median ms of the module probe's build, ${RUNS} runs each; bare node -e "" takes ${floor.toFixed(1)} ms in all):`,
    `${'part'.padEnd(50)} ${'no PIN'.padStart(9)} ${'with PIN'.padStart(9)} ${'no PIN, no code cache'.padStart(22)}`,
  ];
  for (const [k, label] of [...PARTS, ['total', 'total (the probe build; marks cost it a little)']]) {
    lines.push(`${label.padEnd(50)} ${ms(parts.nopin[k])} ${ms(parts.pin[k])} ${ms(parts.coldNopin[k]).padStart(22)}`);
  }
  const target = (name, measured, limit, extra) => {
    const ratio = measured / floor;
    const verdict =
      ratio <= limit
        ? `met (${ratio.toFixed(2)}x)`
        : `missed: ${ratio.toFixed(2)}x, ${(measured - limit * floor).toFixed(1)} ms of CPU over ${(limit * floor).toFixed(1)} ms`;
    lines.push(`target ${name} <= ${limit.toFixed(1)}x bare node's CPU: ${verdict}${extra ? `; ${extra}` : ''}`);
  };
  lines.push('');
  const p = parts.nopin;
  target(
    'ask_pin = no',
    nopin,
    2.0,
    `its start alone (sh, Node, the launcher) takes ${(p.start - floor).toFixed(1)} ms more than bare node's whole run, then ` +
      `${p.compile.toFixed(1)} ms to compile (V8 reading its code cache), ${p.modules.toFixed(1)} ms of module init ` +
      `(stdin's socket and node:crypto, which a call needs, and the one young-generation GC a call takes), ` +
      `${p.sqlite.toFixed(1)} ms of SQLite, ${p.io.toFixed(1)} ms of AGI I/O and ${p.rest.toFixed(1)} ms of the call itself ` +
      '(settings, key derivation, verification, the audit row) and its exit',
  );
  const scrypt = parts.pin.scrypt;
  target(
    'with PIN',
    pin,
    3.4,
    `scrypt (N=2^14, r=8: 16 MiB touched, page faults included) alone is ${scrypt.toFixed(1)} ms = ${(scrypt / floor).toFixed(2)}x here, ` +
      `which leaves ${(3.4 * floor - scrypt).toFixed(1)} ms for all else, where the call without PIN needs ${nopin.toFixed(1)} ms`,
  );
  return lines;
}

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '');
const mb = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} MB` : '');
const x = (a, b) => `${(a / b).toFixed(2)}x`;
const HEADER = [
  'case',
  'wall (median)',
  'CPU per call',
  'peak RSS',
  'calls/s',
  'p50',
  'p99',
  'errors',
  'SQLITE_BUSY',
  'PG retries',
  'ratios (this run)',
];
/** Median wall, CPU and peak RSS of calls. */
const stat = (rows) => ({
  wall: median(rows.map((r) => r.wallMs)),
  cpu: median(rows.map((r) => r.cpuMs)),
  rss: median(rows.map((r) => r.rssMb)),
});

/** A row of one call: its wall, CPU and RSS (when known), no errors, and its ratios; `busy` is '' where SQLite takes no part. */
const singleRow = (label, { wall, cpu, rss = NaN }, ratios, busy = '0') => [
  label,
  ms(wall),
  ms(cpu),
  mb(rss),
  '',
  '',
  '',
  '0',
  busy,
  '',
  ratios,
];

/** The table's first rows: bare node, and the single classic calls against it. */
function classicRows(single) {
  const floor = stat(single.bare);
  const row = (label, c) =>
    singleRow(label, c, `wall ${x(c.wall, floor.wall)}, CPU ${x(c.cpu, floor.cpu)}, RSS ${x(c.rss, floor.rss)} of bare node`);
  return [
    ['bare `node -e ""` spawn (floor)', ms(floor.wall), ms(floor.cpu), mb(floor.rss), '', '', '', '', '', '', '1.00x'],
    row('classic AGI call, ID + PIN + code', stat(single.pin)),
    row('classic AGI call, ID + code (profile without PIN)', stat(single.nopin)),
    row('classic AGI call, ID + PIN + code, no code cache', stat(single.coldPin)),
    row('classic AGI call, ID + code, no code cache', stat(single.coldNopin)),
    ...(BASELINE
      ? [
          row(`classic AGI call, ID + PIN + code, ${BASELINE}`, stat(single.basePin)),
          row(`classic AGI call, ID + code, ${BASELINE}`, stat(single.baseNopin)),
        ]
      : []),
  ];
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(
    `astotp bench: node ${process.version}, ${cpus().length} CPUs, ${RUNS} runs per single-call row, replies from the scripted Asterisk without delay`,
  );
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

const CLASSIC_NOTES = `Single calls succeed (codes are made good again between runs). "No code cache": the cache file is removed before
the call, as for the first call after an install or upgrade (the SQLite addon's copy is in place); that call writes it.
CPU: children report getrusage(self) at exit, after astotp's own exit work (a preload in NODE_OPTIONS).`;

// ---- the runs ----
// Whatever fails, the servers started here end before the temp dir goes.
const agiServers = new Set();
const startAgi = async (start) => {
  const s = await start();
  agiServers.add(s);
  return s;
};
const stopAgi = async (s) => {
  await s.stop();
  agiServers.delete(s);
};
const cleanUp = async () => {
  await Promise.all([...agiServers].map((s) => s.stop()));
  await h.removeTempDirs(); // stops the PostgreSQL server before its data dir is removed
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    note(`${signal}: stopping the servers`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** The table's rows by name; each is measured or, when it cannot be, printed with why. */
const ROW = {
  bare: 'bare `node -e ""` spawn (floor)',
  classic: 'classic AGI call, ID + PIN + code',
  threeTokens: "classic AGI call, a user with 3 tokens (app, 2 HOTP fobs), the last fob's code",
  pinless: 'classic AGI call, ID + code (profile without PIN)',
  pgClassic: 'classic AGI call, ID + PIN + code, PostgreSQL',
  fast: 'FastAGI call, ID + PIN + code',
  pgFast: 'FastAGI call, ID + PIN + code, PostgreSQL',
  classicBatch: `${CLASSIC_AT_ONCE} classic calls at once`,
  pgClassicBatch: `${CLASSIC_AT_ONCE} classic calls at once, PostgreSQL`,
  fastBatch: `${FASTAGI_AT_ONCE} FastAGI sessions at once`,
  pgFastBatch: `${FASTAGI_AT_ONCE} FastAGI sessions at once, PostgreSQL, 2 serve-agi`,
  verify: (total) => `verification, ${total.toLocaleString('en')} users (FastAGI call)`,
  pgDefault: `${CLASSIC_AT_ONCE} classic calls at once, PostgreSQL max_connections ${PG_DEFAULT_MAX_CONNECTIONS}, callers ${HUMAN_REPLY_MS / 1000} s per prompt`,
};

const pgSkipped = h.postgresUnavailable();
/** The server runs as the postgres user when we are root, and its data dir lies in our private temp dir: it must be able to pass through (not list) that. */
async function startPg() {
  if (process.getuid?.() === 0) chmodSync(process.env.TMPDIR, 0o711);
  return h.startPostgres();
}

if (process.env.BENCH_ONLY === 'import') {
  try {
    const pg = pgSkipped === null ? await measure('the PostgreSQL server', () => startPg()) : null;
    printImportRows(await importRows(h, measure, pg, pgSkipped), cpus().length, leftOut);
  } finally {
    await cleanUp();
  }
  process.exit(leftOut.size === 0 ? 0 : 1);
}
if (process.env.BENCH_ONLY === 'web') {
  try {
    printWebRows(await webRows(h, note, measure), leftOut);
  } finally {
    await cleanUp();
  }
  process.exit(leftOut.size === 0 ? 0 : 1);
}
if (process.env.BENCH_ONLY === 'classic') {
  try {
    note(`setting up (${USERS.length} users enrolled through the CLI)`);
    const site = makeSite();
    mustSucceed('warm-up call', (await classicCall(site, USERS[0], h.totp())).r);
    const single = await singleCalls(site, null);
    const parts = await callParts(site);
    printTable([HEADER, ...classicRows(single)]);
    console.log(`\n${CLASSIC_NOTES}`);
    for (const l of classicReport(single, parts)) console.log(l);
  } finally {
    await cleanUp();
  }
  process.exit(0);
}
try {
  note(`setting up (${USERS.length} users enrolled through the CLI)`);
  const site = await measure('the SQLite site', async () => {
    const s = makeSite();
    giveFobs(s);
    mustSucceed('warm-up call', (await classicCall(s, USERS[0], h.totp())).r); // writes the addon's cached copy, as the first call on a PBX does
    return s;
  });
  const needSite = () => need(site, 'the SQLite site');

  let pg = null;
  let pgA = null;
  let pgB = null;
  let pgMaxConnections = null;
  if (pgSkipped === null) {
    note('starting a throwaway PostgreSQL server; enrolling the users there too');
    pg = await measure('the PostgreSQL server', () => startPg());
    const sites = await measure('the PostgreSQL sites', async () => {
      const [a, b] = makePgSites(need(pg, 'the PostgreSQL server'));
      pgMaxConnections = (await pg.query("SELECT current_setting('max_connections') AS v"))[0].v;
      mustSucceed('warm-up call on PostgreSQL', (await classicCall(a, USERS[0], h.totp())).r);
      return [a, b];
    });
    if (sites) [pgA, pgB] = sites;
  }
  const needPg = () => need(pgA, 'the PostgreSQL sites');

  // The single calls (perf's rounds: with and without PIN, cache and a baseline), measured once for the table and the report below it.
  const singles = await measure([ROW.bare, ROW.classic, ROW.pinless, ...(pgSkipped === null ? [ROW.pgClassic] : [])], () =>
    singleCalls(needSite(), pgSkipped === null ? needPg() : null),
  );
  const cold = singles
    ? { bare: singles.bare, classic: singles.pin, pinless: singles.nopin, pgClassic: singles.pg, threeTokens: [] }
    : { bare: [], classic: [], pinless: [], pgClassic: [], threeTokens: [] };
  // A user with an app and 2 HOTP fobs typing the last fob's code: every token is tried.
  for (let i = 0; i < RUNS; i++)
    await measure(ROW.threeTokens, async () => {
      const t = await classicCall(needSite(), FOB_USER, lastFobCode(i));
      mustSucceed('classic call with a fob code', t.r);
      cold.threeTokens.push(t);
    });
  const parts = await measure('where the CPU goes', () => callParts(needSite()));
  const med = (xs, k) => median(xs.map((x) => x[k]));

  note(`FastAGI: ${RUNS} single calls`);
  const server = await measure([ROW.fast, ROW.fastBatch], () =>
    startAgi(() => h.AgiServer.start(needSite().env, ['--max-sessions', String(FASTAGI_AT_ONCE)], h.BUNDLE_PATH)),
  );
  const fast = await measure(ROW.fast, () => serialFastCalls(site, need(server, 'a serve-agi on SQLite'), RUNS));

  note(`${CLASSIC_AT_ONCE} classic calls at once`);
  const classicBatch = await measure(ROW.classicBatch, async () => {
    await resetUsers(needSite());
    const code = h.totp();
    const b = await batch(CLASSIC_AT_ONCE, (i) => classicCall(site, USERS[i % USERS.length], code));
    return { ...b, tally: tally(b.results) };
  });

  /** A batch against PostgreSQL: the server's CPU per call (backends included) and the most astotp connections open at once. */
  async function pgBatch(n, one) {
    const cpu0 = serverTreeCpuMs(pg.pid);
    const { result, peak } = await peakDuring(
      () => batch(n, one),
      () => backendsOf(pg.pid, pg.role),
    );
    await new Promise((r) => setTimeout(r, 300)); // backends of closed connections exit and are reaped after the call ends
    return { ...result, pgCpuMs: (serverTreeCpuMs(pg.pid) - cpu0) / n, peakConnections: peak };
  }

  let pgClassicBatch = null;
  let pgServers = null;
  let pgFast = null;
  if (pgSkipped === null) {
    note(`${CLASSIC_AT_ONCE} classic calls at once on PostgreSQL (max_connections ${pgMaxConnections})`);
    pgClassicBatch = await measure(ROW.pgClassicBatch, async () => {
      await resetUsers(needPg());
      const code = h.totp();
      const b = await pgBatch(CLASSIC_AT_ONCE, (i) => classicCall(pgA, USERS[i % USERS.length], code));
      return { ...b, tally: tally(b.results) };
    });
    // Started after the classic batches, whose count of connections their pools would swell.
    note(`FastAGI on PostgreSQL: ${RUNS} single calls`);
    pgServers = await measure([ROW.pgFast, ROW.pgFastBatch], () => Promise.all([needPg(), pgB].map((s) => startAgi(() => pgAgiServer(s)))));
    pgFast = await measure(ROW.pgFast, () => serialFastCalls(pgA, need(pgServers, 'two serve-agi on PostgreSQL')[0], RUNS));
  }

  note(`${FASTAGI_AT_ONCE} FastAGI sessions at once`);
  const fastBatch = await measure(ROW.fastBatch, async () => {
    need(server, 'a serve-agi on SQLite');
    await resetUsers(site);
    const code = h.totp();
    const cpuBefore = processCpuMs(server.child.pid);
    const b = await batch(FASTAGI_AT_ONCE, (i) => fastCall(server, USERS[i % USERS.length], code));
    const cpuMs = (processCpuMs(server.child.pid) - cpuBefore) / FASTAGI_AT_ONCE;
    const peakMb = processPeakRssMb(server.child.pid);
    await new Promise((r) => setTimeout(r, 200)); // the last log lines
    return { ...b, cpuMs, peakMb, tally: tally(b.results, server.log) };
  });
  if (server) await stopAgi(server);

  let pgFastBatch = null;
  if (pgSkipped === null) {
    note(`${FASTAGI_AT_ONCE} FastAGI sessions at once on PostgreSQL, split over two serve-agi (pbx-a, pbx-b)`);
    pgFastBatch = await measure(ROW.pgFastBatch, async () => {
      need(pgServers, 'two serve-agi on PostgreSQL');
      await resetUsers(pgA);
      const code = h.totp();
      const cpu0 = pgServers.map((s) => processCpuMs(s.child.pid));
      const b = await pgBatch(FASTAGI_AT_ONCE, (i) => fastCall(pgServers[i % 2], USERS[i % USERS.length], code));
      const cpuMs = pgServers.reduce((sum, s, k) => sum + processCpuMs(s.child.pid) - cpu0[k], 0) / FASTAGI_AT_ONCE;
      const peakMb = Math.max(...pgServers.map((s) => processPeakRssMb(s.child.pid)));
      await Promise.all(pgServers.map(stopAgi));
      const retries = pgServers.map(shutdownCounts).reduce((sum, c) => sum + c.retries, 0);
      return { ...b, cpuMs, peakMb, retries, tally: tally(b.results, pgServers.map((s) => s.log).join('')) };
    });
    if (pgServers) await Promise.all(pgServers.map(stopAgi));
  }

  note('verification with 100 and with 100,000 users');
  const verify = [];
  for (const total of [100, 100_000]) {
    const v = await measure(ROW.verify(total), async () => {
      const big = siteWithUsers(needSite(), total);
      const s = await startAgi(() => h.AgiServer.start(big.env, [], h.BUNDLE_PATH));
      try {
        await serialFastCalls(big, s, 3); // warm: the first calls fill SQLite's page cache
        return { total, ...(await serialFastCalls(big, s, RUNS)) };
      } finally {
        await stopAgi(s);
      }
    });
    verify.push(v ?? { total, missing: true });
  }

  let pgDefault = null;
  if (pgSkipped === null) {
    note(
      `${CLASSIC_AT_ONCE} classic calls at once on PostgreSQL restarted with max_connections ${PG_DEFAULT_MAX_CONNECTIONS}, callers answering after ${HUMAN_REPLY_MS / 1000} s`,
    );
    pgDefault = await measure(ROW.pgDefault, async () => {
      needPg();
      await pg.query(`ALTER SYSTEM SET max_connections = ${PG_DEFAULT_MAX_CONNECTIONS}`);
      await pg.restart();
      const [{ max_connections: max, reserved }] = await pg.query(
        "SELECT current_setting('max_connections') AS max_connections, current_setting('superuser_reserved_connections') AS reserved",
      );
      await resetUsers(pgA);
      const code = h.totp();
      const b = await pgBatch(CLASSIC_AT_ONCE, (i) => classicCall(pgA, USERS[i % USERS.length], code, { replyDelayMs: HUMAN_REPLY_MS }));
      return { ...b, tally: tally(b.results), max: Number(max), reserved: Number(reserved) };
    });
  }

  const imports = await importRows(h, measure, pg, pgSkipped);
  const web = await webRows(h, note, measure);

  // ---- the table ----
  const counts = (t) =>
    Object.entries(t.reasons)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
  const stats = (rows) => (rows.length === 0 ? null : { wall: med(rows, 'wallMs'), cpu: med(rows, 'cpuMs'), rss: med(rows, 'rssMb') });
  const floor = leftOut.has(ROW.bare) ? null : stats(cold.bare);
  const c1 = leftOut.has(ROW.classic) ? null : stats(cold.classic);
  const c1t = leftOut.has(ROW.threeTokens) ? null : stats(cold.threeTokens);
  const c2 = leftOut.has(ROW.pinless) ? null : stats(cold.pinless);
  const c3 = leftOut.has(ROW.pgClassic) ? null : stats(cold.pgClassic);
  /** "2.00x" of `b`, or a sentence saying the row to compare with is missing. */
  const of = (a, b) => (b ? x(a, b) : '(no baseline)');
  const vsFloor = (c) =>
    floor ? `wall ${x(c.wall, floor.wall)}, CPU ${x(c.cpu, floor.cpu)}, RSS ${x(c.rss, floor.rss)} of bare node` : '';
  const pgBatchCells = (b, rss) => [
    ms(median(b.results.map((c) => c.cpuMs ?? NaN))),
    rss,
    b.perSecond.toFixed(1),
    ms(b.p50),
    ms(b.p99),
    String(b.tally.errors),
  ];
  const pgNote = (b) => `PostgreSQL ${ms(b.pgCpuMs)} CPU per call, at most ${b.peakConnections} astotp connections`;
  /** The cells of a single-call row, each call a SUCCESS (no errors; on SQLite, no SQLITE_BUSY). */
  const single = (wallMs, cpuMs, rss, on, ratio) => [ms(wallMs), ms(cpuMs), rss, '', '', '', '0', on === 'sqlite' ? '0' : '', '', ratio];
  /** The row, or its name and why it was not measured; a PostgreSQL row without any server is left out (the note below says why). */
  const row = (name, data, cells, pgRow = false) => {
    if (pgRow && pgSkipped !== null) return [];
    if (data === null || leftOut.has(name))
      return [[name, '', '', '', '', '', '', '', '', '', `not measured: ${leftOut.get(name) ?? 'see above'}`]];
    return [[name, ...cells(data)]];
  };

  const rows = [
    [
      'case',
      'wall (median)',
      'CPU per call',
      'peak RSS',
      'calls/s',
      'p50',
      'p99',
      'errors',
      'SQLITE_BUSY',
      'PG retries',
      'ratios (this run)',
    ],
    ...row(ROW.bare, floor, (f) => [ms(f.wall), ms(f.cpu), mb(f.rss), '', '', '', '', '', '', '1.00x']),
    ...row(ROW.classic, c1, (c) => single(c.wall, c.cpu, mb(c.rss), 'sqlite', vsFloor(c))),
    // Still one PIN hash: the tokens cost HMACs only.
    ...row(ROW.threeTokens, c1t, (c) =>
      single(
        c.wall,
        c.cpu,
        mb(c.rss),
        'sqlite',
        c1 ? `wall ${x(c.wall, c1.wall)}, CPU ${x(c.cpu, c1.cpu)} of a user with 1 token` : '(no baseline)',
      ),
    ),
    ...row(ROW.pinless, c2, (c) => single(c.wall, c.cpu, mb(c.rss), 'sqlite', vsFloor(c))),
    // The first call after an install: no code cache yet (and a build to compare with, BENCH_BASELINE).
    ...(singles && floor ? classicRows(singles).slice(3) : []),
    ...row(
      ROW.pgClassic,
      c3,
      (c) =>
        single(
          c.wall,
          c.cpu,
          mb(c.rss),
          'postgres',
          c1 ? `wall ${x(c.wall, c1.wall)}, CPU ${x(c.cpu, c1.cpu)}, RSS ${x(c.rss, c1.rss)} of the classic call on SQLite` : '',
        ),
      true,
    ),
    ...row(ROW.fast, fast, (f) =>
      single(f.wallMs, f.cpuMs, '', 'sqlite', c1 ? `wall ${x(f.wallMs, c1.wall)}, CPU ${x(f.cpuMs, c1.cpu)} of the classic call` : ''),
    ),
    ...row(
      ROW.pgFast,
      pgFast,
      (f) =>
        single(
          f.wallMs,
          f.cpuMs,
          '',
          'postgres',
          fast ? `wall ${x(f.wallMs, fast.wallMs)}, CPU ${x(f.cpuMs, fast.cpuMs)} of the FastAGI call on SQLite` : '',
        ),
      true,
    ),
    ...row(ROW.classicBatch, classicBatch, (b) => [
      '',
      ms(median(b.results.map((c) => c.cpuMs))),
      mb(median(b.results.map((c) => c.rssMb))),
      b.perSecond.toFixed(1),
      ms(b.p50),
      ms(b.p99),
      String(b.tally.errors),
      String(b.tally.busy),
      '',
      counts(b.tally),
    ]),
    ...row(
      ROW.pgClassicBatch,
      pgClassicBatch,
      (b) => [
        '',
        ...pgBatchCells(b, mb(median(b.results.map((c) => c.rssMb)))),
        '',
        '',
        `max_connections ${pgMaxConnections}; throughput ${of(b.perSecond, classicBatch?.perSecond)} of SQLite; ${pgNote(b)}; ${counts(b.tally)}`,
      ],
      true,
    ),
    ...row(ROW.fastBatch, fastBatch, (b) => [
      '',
      ms(b.cpuMs),
      `${mb(b.peakMb)} (server)`,
      b.perSecond.toFixed(1),
      ms(b.p50),
      ms(b.p99),
      String(b.tally.errors),
      String(b.tally.busy),
      '',
      `throughput ${of(b.perSecond, classicBatch?.perSecond)} of classic; ${counts(b.tally)}`,
    ]),
    ...row(
      ROW.pgFastBatch,
      pgFastBatch,
      (b) => [
        '',
        ms(b.cpuMs),
        `${mb(b.peakMb)} (each)`,
        b.perSecond.toFixed(1),
        ms(b.p50),
        ms(b.p99),
        String(b.tally.errors),
        '',
        String(b.retries),
        `throughput ${of(b.perSecond, fastBatch?.perSecond)} of one serve-agi on SQLite; ${pgNote(b)}; ${counts(b.tally)}`,
      ],
      true,
    ),
    ...verify.flatMap((v) =>
      row(ROW.verify(v.total), v.missing ? null : v, (w) =>
        single(
          w.wallMs,
          w.cpuMs,
          '',
          'sqlite',
          w === verify[0]
            ? '1.00x'
            : verify[0].missing
              ? ''
              : `wall ${x(w.wallMs, verify[0].wallMs)}, CPU ${x(w.cpuMs, verify[0].cpuMs)} of 100 users`,
        ),
      ),
    ),
    ...row(
      ROW.pgDefault,
      pgDefault,
      (b) => [
        '',
        ...pgBatchCells(b, ''),
        '',
        '',
        `${b.tally.tooManyClients} refused for want of a connection slot (53300; ${b.max - b.reserved} of ${b.max} are for non-superusers); ${pgNote(b)}; ${counts(b.tally)}`,
      ],
      true,
    ),
  ];
  console.log(
    `astotp bench: node ${process.version}, ${cpus().length} CPUs, ${RUNS} runs per single-call row, replies from the scripted Asterisk without delay`,
  );
  for (const l of tableLines(rows)) console.log(l);
  console.log(`
${CLASSIC_NOTES} In the batches all calls type the same code,
so each of the ${USERS.length} users succeeds once and the replays fail as they must (bad-credentials).
CPU: children report getrusage(self) at exit (node -r ${'probe'}); the FastAGI server's from /proc/PID/stat
(10 ms ticks, averaged over the calls). FastAGI "CPU per call" is the server's share only.`);
  if (singles && parts) for (const l of classicReport(singles, parts)) console.log(l);
  if (pgSkipped === null && pg) {
    const version = await pg.query("SELECT current_setting('server_version') AS v").then(
      (r) => r[0].v,
      () => '(version unknown)',
    );
    console.log(`PostgreSQL ${version}: a throwaway server on this machine (loopback TCP, scram), fsync off.
"CPU per call" of the PostgreSQL rows is astotp's own; the server's (postmaster and backends, from /proc) is in the
last column, as is the most astotp connections seen at once (sampled every 25 ms). The 2 serve-agi share one database,
each with db_pool 10; "PG retries" is the sum of their shutdown lines (transactions run again after a deadlock or
serialization failure). A classic call holds its connection from its start to its end, so the last row's callers
take ${HUMAN_REPLY_MS / 1000} s per prompt, as people do, and all ${CLASSIC_AT_ONCE} calls are in progress together.`);
  } else if (pgSkipped !== null) {
    console.log(`PostgreSQL rows left out: ${pgSkipped}.`);
  }
  printImportRows(imports, cpus().length, leftOut);
  printWebRows(web, leftOut);
} finally {
  await cleanUp();
}
process.exit(leftOut.size === 0 ? 0 : 1);
