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
function timedImport(site, file, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [site.bundle, 'import', file], {
    env: { ...site.env, ...env },
    encoding: 'utf8',
    timeout: 1_800_000,
    maxBuffer: 64 << 20,
  });
  const wallMs = msSince(start);
  if (r.status !== 0 || !/^Imported \d+ users/.test(r.stdout))
    throw new Error(`bench: import failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return wallMs;
}

export async function importRows(h, note, pg) {
  const fresh = (make = () => new h.Site()) => Object.assign(make(), { bundle: h.BUNDLE_PATH });
  note(`import: ${ENROLLS} enroll calls, one user each`);
  const one = fresh();
  const enrollStart = process.hrtime.bigint();
  for (let i = 0; i < ENROLLS; i++) one.enroll(String(1001 + i), '4321');
  const enrollMs = msSince(enrollStart) / ENROLLS;

  note(`import: ${USERS.toLocaleString('en')} users without PINs`);
  const plain = fresh();
  const plainMs = timedImport(plain, csv(plain, 'plain.csv', USERS, false));

  let pgMs = null;
  if (pg) {
    note(`import: ${USERS.toLocaleString('en')} users without PINs on PostgreSQL`);
    // A database of its own: the calls' database is bound to their site's key file, which this PBX has not.
    const url = await h.freshDatabase(pg, `astotp_import_${process.pid}`);
    const site = fresh(() => new h.PgSite(pg, url, 'pbx-import'));
    pgMs = timedImport(site, csv(site, 'plain.csv', USERS, false));
  }

  note(`import: ${PIN_USERS} users with PINs, hashed at once and one after the other`);
  const pinned = fresh();
  const pinFile = csv(pinned, 'pins.csv', PIN_USERS, true);
  const parallelMs = timedImport(pinned, pinFile);
  const serial = fresh();
  const serialMs = timedImport(serial, pinFile, { UV_THREADPOOL_SIZE: '1' });

  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const per = (ms, n) => `${(ms / n).toFixed(2)} ms`;
  const x = (a, b) => `${(a / b).toFixed(1)}x`;
  return [
    ['case', 'wall', 'per user', 'ratios (this run)'],
    [
      `astotp enroll, one user per call (x${ENROLLS})`,
      s(enrollMs * ENROLLS),
      per(enrollMs, 1),
      `${USERS.toLocaleString('en')} users would take ${s(enrollMs * USERS)}`,
    ],
    [
      `astotp import, ${USERS.toLocaleString('en')} users without PINs`,
      s(plainMs),
      per(plainMs, USERS),
      `${x(enrollMs * USERS, plainMs)} faster than one enroll per user`,
    ],
    ...(pgMs === null
      ? []
      : [
          [
            `astotp import, ${USERS.toLocaleString('en')} users without PINs, PostgreSQL`,
            s(pgMs),
            per(pgMs, USERS),
            `${x(pgMs, plainMs)} the time on SQLite`,
          ],
        ]),
    [
      `astotp import, ${PIN_USERS} users with PINs, hashed at once`,
      s(parallelMs),
      per(parallelMs, PIN_USERS),
      `${x(serialMs, parallelMs)} faster than one after the other`,
    ],
    [`astotp import, ${PIN_USERS} users with PINs, one after the other`, s(serialMs), per(serialMs, PIN_USERS), 'UV_THREADPOOL_SIZE=1'],
  ];
}

/** The rows as a table below the calls' one. */
export function printImportRows(rows, cpus) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(`\nastotp import (${cpus} CPUs; the thread pool hashes PINs on up to that many threads, at least 4)`);
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}
