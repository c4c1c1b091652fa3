// The import rows of npm run bench: 10,000 users without PINs in one astotp
// import (the target: under a minute), the same on PostgreSQL, and
// PINs hashed all at once in the thread pool against one after the other
// (UV_THREADPOOL_SIZE=1), next to what enrolling one user per call costs.
// All ratios come from this one run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msSince } from './measure.mjs';
import { tableLines } from './table.mjs';

const note = (line) => process.stderr.write(`bench: ${line}\n`);

const USERS = Number(process.env.BENCH_IMPORT_USERS ?? 10_000);
const PIN_USERS = Number(process.env.BENCH_IMPORT_PINS ?? 200);
const ENROLLS = 5;
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 32 base32 characters from the CSPRNG: a secret of the file, so the output is one summary line, not 10,000 URIs. */
const secret = () => [...randomBytes(32)].map((b) => B32[b % 32]).join('');

function csv(site, name, n, pin) {
  const path = join(site.astDir, name);
  writeFileSync(path, Array.from({ length: n }, (_, i) => `${200000 + i},${pin ? String(1000 + (i % 9000)) : ''},${secret()}\n`).join(''));
  return path;
}

/** One astotp import to its end, as an admin's shell runs it: wall time. */
function timedImport(site, file, env = {}, args = [file]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [site.bundle, 'import', ...args], {
    env: { ...site.env, ...env },
    encoding: 'utf8',
    timeout: 1_800_000,
    maxBuffer: 64 << 20,
  });
  const wallMs = msSince(start);
  if (r.status !== 0 || !/^Imported \d+ (users|tokens)/.test(r.stdout))
    throw new Error(`bench: import failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return wallMs;
}

/** The rows by name. */
export const IMPORT_ROW = {
  enroll: `astotp enroll, one user per call (x${ENROLLS})`,
  plain: `astotp import, ${USERS.toLocaleString('en')} users without PINs`,
  pg: `astotp import, ${USERS.toLocaleString('en')} users without PINs, PostgreSQL`,
  pinsAtOnce: `astotp import, ${PIN_USERS} users with PINs, hashed at once`,
  pinsSerial: `astotp import, ${PIN_USERS} users with PINs, one after the other`,
  pskc: `astotp import --pskc, ${USERS.toLocaleString('en')} fobs`,
};

/** A vendor's plain PSKC file of n HOTP fobs, each its own secret. */
function pskc(h, site, n) {
  const path = join(site.astDir, 'fobs.xml');
  const fobs = Array.from({ length: n }, (_, i) => ({
    serial: `BENCH${String(i).padStart(7, '0')}`,
    kind: 'hotp',
    secret: randomBytes(20),
  }));
  writeFileSync(path, h.plainPskc(fobs));
  return path;
}

/**
 * Measures the rows, each through `measure` (bench.mjs: a row that fails is
 * left out with why, and the others still run). `pg`: the bench's server,
 * null when there is none, and then `pgSkipped` says why none could run.
 */
export async function importRows(h, measure, pg, pgSkipped) {
  const fresh = (make = () => new h.Site()) => Object.assign(make(), { bundle: h.BUNDLE_PATH });
  note(`import: ${ENROLLS} enroll calls, one user each`);
  const enrollMs = await measure(IMPORT_ROW.enroll, () => {
    const one = fresh();
    const start = process.hrtime.bigint();
    for (let i = 0; i < ENROLLS; i++) one.enroll(String(1001 + i), '4321');
    return msSince(start) / ENROLLS;
  });

  note(`import: ${USERS.toLocaleString('en')} users without PINs`);
  const plainMs = await measure(IMPORT_ROW.plain, () => {
    const plain = fresh();
    return timedImport(plain, csv(plain, 'plain.csv', USERS, false));
  });

  let pgMs = null;
  if (pgSkipped === null) {
    note(`import: ${USERS.toLocaleString('en')} users without PINs on PostgreSQL`);
    pgMs = await measure(IMPORT_ROW.pg, async () => {
      if (!pg) throw new Error('the PostgreSQL server could not be started');
      // A database of its own, as the SQLite row's file is: another's users were enrolled with another key file, which import refuses.
      const url = await h.freshDatabase(pg, `bench_import_${process.pid}`);
      const site = fresh(() => new h.PgSite(pg, url, 'pbx-import'));
      return timedImport(site, csv(site, 'plain.csv', USERS, false));
    });
  }

  note(`import: ${USERS.toLocaleString('en')} fobs of a PSKC file`);
  const pskcMs = await measure(IMPORT_ROW.pskc, () => {
    const site = fresh();
    const file = pskc(h, site, USERS);
    return timedImport(site, file, {}, ['--pskc', file]);
  });

  note(`import: ${PIN_USERS} users with PINs, hashed at once and one after the other`);
  const pinned = await measure([IMPORT_ROW.pinsAtOnce, IMPORT_ROW.pinsSerial], () => {
    const site = fresh();
    return { site, file: csv(site, 'pins.csv', PIN_USERS, true) };
  });
  const parallelMs = pinned && (await measure(IMPORT_ROW.pinsAtOnce, () => timedImport(pinned.site, pinned.file)));
  const serialMs = pinned && (await measure(IMPORT_ROW.pinsSerial, () => timedImport(fresh(), pinned.file, { UV_THREADPOOL_SIZE: '1' })));
  return { enrollMs, plainMs, pgMs, pskcMs, parallelMs, serialMs, pgSkipped };
}

/** The rows as a table below the calls' one; a row that could not be measured says why (leftOut, by its name). */
export function printImportRows(m, cpus, leftOut) {
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const per = (ms, n) => `${(ms / n).toFixed(2)} ms`;
  const x = (a, b) => (a !== null && b !== null ? `${(a / b).toFixed(1)}x` : null);
  const row = (name, ms, n, ratio) =>
    ms === null ? [name, '', '', `not measured: ${leftOut.get(name) ?? 'see above'}`] : [name, s(ms), per(ms, n), ratio ?? ''];
  const rows = [
    ['case', 'wall', 'per user', 'ratios (this run)'],
    row(
      IMPORT_ROW.enroll,
      m.enrollMs === null ? null : m.enrollMs * ENROLLS,
      ENROLLS,
      m.enrollMs === null ? '' : `${USERS.toLocaleString('en')} users would take ${s(m.enrollMs * USERS)}`,
    ),
    row(
      IMPORT_ROW.plain,
      m.plainMs,
      USERS,
      x(m.enrollMs === null ? null : m.enrollMs * USERS, m.plainMs) &&
        `${x(m.enrollMs * USERS, m.plainMs)} faster than one enroll per user`,
    ),
    ...(m.pgSkipped === null
      ? [row(IMPORT_ROW.pg, m.pgMs, USERS, x(m.pgMs, m.plainMs) && `${x(m.pgMs, m.plainMs)} the time on SQLite`)]
      : []),
    row(IMPORT_ROW.pskc, m.pskcMs, USERS, x(m.pskcMs, m.plainMs) && `${x(m.pskcMs, m.plainMs)} the time of as many users from CSV`),
    row(
      IMPORT_ROW.pinsAtOnce,
      m.parallelMs,
      PIN_USERS,
      x(m.serialMs, m.parallelMs) && `${x(m.serialMs, m.parallelMs)} faster than one after the other`,
    ),
    row(IMPORT_ROW.pinsSerial, m.serialMs, PIN_USERS, 'UV_THREADPOOL_SIZE=1'),
  ];
  console.log(`\nastotp import (${cpus} CPUs; the thread pool hashes PINs on up to that many threads, at least 4)`);
  for (const l of tableLines(rows)) console.log(l);
  if (m.pgSkipped !== null) console.log(`PostgreSQL row left out: ${m.pgSkipped}.`);
}
