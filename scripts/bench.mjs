// npm run bench: what a call costs, classic AGI against FastAGI, measured on
// the built dist/astotp with the scripted Asterisk of the tests (instant
// replies), and printed as one table whose ratios all come from this run.
// BENCH_RUNS (default 20) sets the repetitions of the single-call rows.
import './bench/private-tmp.mjs';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadHelpers } from './bench/helpers.mjs';
import { median, msSince, percentile, PROBE, processCpuMs, processPeakRssMb, spawnMeasured, usageFile } from './bench/measure.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const CLASSIC_AT_ONCE = 100;
const FASTAGI_AT_ONCE = 1000;
const USERS = Array.from({ length: 10 }, (_, i) => String(1001 + i));
const PIN = '4321';

const h = await loadHelpers();
if (!existsSync(h.BUNDLE_PATH)) throw new Error('bench: dist/astotp is missing; run node build.mjs first');
const note = (line) => process.stderr.write(`bench: ${line}\n`);

/** A PBX with USERS enrolled; lockout high enough for the replays of the concurrent rows. */
function makeSite() {
  const site = new h.Site();
  site.config({ timeout: 10, tries: 1, lockout_failures: 1000 }, { nopin: { ask_pin: 'no' } });
  for (const u of USERS) site.enroll(u, PIN);
  return site;
}

/** Makes the users' codes good again: every single-call row is a real SUCCESS. */
function resetUsers(site) {
  const db = new Database(site.db, { timeout: 5000 });
  // Only the enrolled users: rewriting 100,000 dummy rows would fill the WAL and bill the server's next commit for the checkpoint.
  db.prepare(`UPDATE users SET last_step = NULL, failures = 0, locked_until = NULL WHERE id IN (${USERS.map(() => '?').join(', ')})`).run(...USERS);
  db.close();
}

const isBusy = (text) => /SQLITE_BUSY|database .* is busy/i.test(text ?? '');

/** One classic call as Asterisk spawns it, with the child's own CPU and RSS. */
async function classicCall(site, user, code, { pinless = false } = {}) {
  const usage = usageFile();
  const start = process.hrtime.bigint();
  const r = await h.runCall({
    astDir: site.astDir,
    commandArgs: ['-r', PROBE, h.BUNDLE_PATH],
    env: usage.env,
    args: pinless ? ['profile=nopin'] : [],
    inputs: pinless ? [user, code] : [user, PIN, code],
    replyDelayMs: 0,
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
  let busy = isBusy(serverLog) ? (serverLog.match(/SQLITE_BUSY|database .* is busy/gi) ?? []).length : 0;
  for (const { r } of results) {
    const reason = r.variables.ASTOTP_REASON ?? 'none';
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    if (!['ok', 'bad-credentials'].includes(reason) || r.violations.length > 0 || (r.exitCode !== null && r.exitCode !== 0)) errors++;
    if (isBusy(r.stderr) || isBusy(r.variables.ASTOTP_ERROR)) busy++;
  }
  return { reasons, errors, busy };
}

async function batch(n, one) {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const totalMs = msSince(start);
  const lat = results.map((x) => x.wallMs);
  return { results, perSecond: n / (totalMs / 1000), p50: median(lat), p99: percentile(lat, 99) };
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
  const insert = db.prepare("INSERT INTO users (id, pin_hash, secret_box, algorithm, digits, period, created_at, updated_at) VALUES (?, NULL, randomblob(66), 'SHA1', 6, 30, ?, ?)");
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
    resetUsers(site);
    const { wallMs, r } = await fastCall(server, USERS[0], h.totp());
    mustSucceed('FastAGI call', r);
    walls.push(wallMs);
  }
  return { wallMs: median(walls), cpuMs: (processCpuMs(server.child.pid) - cpu0) / runs };
}

// ---- the runs ----
note(`setting up (${USERS.length} users enrolled through the CLI)`);
const site = makeSite();
mustSucceed('warm-up call', (await classicCall(site, USERS[0], h.totp())).r); // writes the addon's cached copy, as the first call on a PBX does

note(`cold starts: ${RUNS} x bare node, classic call with PIN, classic call without PIN (interleaved)`);
const bare = [];
const classic = [];
const pinless = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(await spawnMeasured(['-e', '']));
  resetUsers(site);
  const a = await classicCall(site, USERS[0], h.totp());
  mustSucceed('classic call', a.r);
  classic.push(a);
  resetUsers(site);
  const b = await classicCall(site, USERS[0], h.totp(), { pinless: true });
  mustSucceed('classic call without PIN', b.r);
  pinless.push(b);
}
const med = (xs, k) => median(xs.map((x) => x[k]));

note(`FastAGI: ${RUNS} single calls, then ${FASTAGI_AT_ONCE} at once`);
const server = await h.AgiServer.start(site.env, ['--max-sessions', String(FASTAGI_AT_ONCE)], h.BUNDLE_PATH);
const fast = await serialFastCalls(site, server, RUNS);

note(`${CLASSIC_AT_ONCE} classic calls at once`);
resetUsers(site);
let code = h.totp();
const classicBatch = await batch(CLASSIC_AT_ONCE, (i) => classicCall(site, USERS[i % USERS.length], code));
const classicTally = tally(classicBatch.results);

resetUsers(site);
code = h.totp();
const cpuBefore = processCpuMs(server.child.pid);
const fastBatch = await batch(FASTAGI_AT_ONCE, (i) => fastCall(server, USERS[i % USERS.length], code));
const fastBatchCpu = (processCpuMs(server.child.pid) - cpuBefore) / FASTAGI_AT_ONCE;
const serverPeakMb = processPeakRssMb(server.child.pid);
await new Promise((r) => setTimeout(r, 200)); // the last log lines
const fastTally = tally(fastBatch.results, server.log);
await server.stop();

note('verification with 100 and with 100,000 users');
const verify = [];
for (const total of [100, 100_000]) {
  const big = siteWithUsers(site, total);
  const s = await h.AgiServer.start(big.env, [], h.BUNDLE_PATH);
  await serialFastCalls(big, s, 3); // warm: the first calls fill SQLite's page cache
  verify.push({ total, ...(await serialFastCalls(big, s, RUNS)) });
  await s.stop();
}

// ---- the table ----
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '');
const mb = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} MB` : '');
const x = (a, b) => `${(a / b).toFixed(2)}x`;
const counts = (t) => Object.entries(t.reasons).map(([k, v]) => `${v} ${k}`).join(', ');
const floor = { wall: med(bare, 'wallMs'), cpu: med(bare, 'cpuMs'), rss: med(bare, 'rssMb') };
const cold = (rows) => ({ wall: med(rows, 'wallMs'), cpu: med(rows, 'cpuMs'), rss: med(rows, 'rssMb') });
const c1 = cold(classic);
const c2 = cold(pinless);
const vsFloor = (c) => `wall ${x(c.wall, floor.wall)}, CPU ${x(c.cpu, floor.cpu)}, RSS ${x(c.rss, floor.rss)} of bare node`;
const classicCpuPerCall = median(classicBatch.results.map((c) => c.cpuMs));

const rows = [
  ['case', 'wall (median)', 'CPU per call', 'peak RSS', 'calls/s', 'p50', 'p99', 'errors', 'SQLITE_BUSY', 'ratios (this run)'],
  ['bare `node -e ""` spawn (floor)', ms(floor.wall), ms(floor.cpu), mb(floor.rss), '', '', '', '', '', '1.00x'],
  ['classic AGI call, ID + PIN + code', ms(c1.wall), ms(c1.cpu), mb(c1.rss), '', '', '', '0', '0', vsFloor(c1)],
  ['classic AGI call, ID + code (profile without PIN)', ms(c2.wall), ms(c2.cpu), mb(c2.rss), '', '', '', '0', '0', vsFloor(c2)],
  ['FastAGI call, ID + PIN + code', ms(fast.wallMs), ms(fast.cpuMs), '', '', '', '', '0', '0', `wall ${x(fast.wallMs, c1.wall)}, CPU ${x(fast.cpuMs, c1.cpu)} of the classic call`],
  [`${CLASSIC_AT_ONCE} classic calls at once`, '', ms(classicCpuPerCall), mb(median(classicBatch.results.map((c) => c.rssMb))), classicBatch.perSecond.toFixed(1), ms(classicBatch.p50), ms(classicBatch.p99), String(classicTally.errors), String(classicTally.busy), counts(classicTally)],
  [`${FASTAGI_AT_ONCE} FastAGI sessions at once`, '', ms(fastBatchCpu), `${mb(serverPeakMb)} (server)`, fastBatch.perSecond.toFixed(1), ms(fastBatch.p50), ms(fastBatch.p99), String(fastTally.errors), String(fastTally.busy), `throughput ${x(fastBatch.perSecond, classicBatch.perSecond)} of classic; ${counts(fastTally)}`],
  ...verify.map((v) => [`verification, ${v.total.toLocaleString('en')} users (FastAGI call)`, ms(v.wallMs), ms(v.cpuMs), '', '', '', '', '0', '0', v === verify[0] ? '1.00x' : `wall ${x(v.wallMs, verify[0].wallMs)}, CPU ${x(v.cpuMs, verify[0].cpuMs)} of 100 users`]),
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) => r.map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
console.log(`astotp bench: node ${process.version}, ${cpus().length} CPUs, ${RUNS} runs per single-call row, replies from the scripted Asterisk without delay`);
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows.slice(1)) console.log(line(r));
console.log(`
Single calls succeed (codes are made good again between runs); in the batches all calls type the same code,
so each of the ${USERS.length} users succeeds once and the replays fail as they must (bad-credentials).
CPU: children report getrusage(self) at exit (node -r ${'probe'}); the FastAGI server's from /proc/PID/stat
(10 ms ticks, averaged over the calls). FastAGI "CPU per call" is the server's share only.`);
process.exit(0);
