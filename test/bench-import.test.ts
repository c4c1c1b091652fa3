// npm run bench's import rows, run small on this machine as a new user would
// run them: PostgreSQL installed (scripts/need-debian-tools.sh), so the row
// on PostgreSQL runs too, and every row of README's import table comes out
// of the one run with a figure.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/asterisk-peer.js';

describe('npm run bench, the import rows (BENCH_ONLY=import)', () => {
  it('measures every row, the one on PostgreSQL too, and exits 0', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'bench.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_ONLY: 'import', BENCH_IMPORT_USERS: '40', BENCH_IMPORT_PINS: '4' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).not.toMatch(/not measured/);
    expect(r.status, r.stderr).toBe(0);
    // The table's rows, its title (astotp import (N CPUs; ...)) left out.
    const rows = r.stdout.split('\n').filter((l) => /^astotp \w+,/.test(l) || l.startsWith('astotp import --pskc'));
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'astotp enroll, one user per call (x5)',
      'astotp import, 40 users without PINs',
      'astotp import, 40 users without PINs, PostgreSQL',
      'astotp import --pskc, 40 fobs',
      'astotp import, 4 users with PINs, hashed at once',
      'astotp import, 4 users with PINs, one after the other',
    ]);
    expect(rows.find((l) => l.includes('PostgreSQL'))).toMatch(/\d+\.\d s +\d+\.\d+ ms +\d+\.\dx the time on SQLite$/);
  }, 150_000);
});
