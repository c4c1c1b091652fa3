// Imported first by the measuring scripts: everything they and their helpers
// put in the temp dir (sites, probes, bundled helpers) goes into one
// directory of their own, removed when the process exits, however it exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'astotp-bench-run-'));
// os.tmpdir() reads TMPDIR at each call; children inherit it too.
process.env.TMPDIR = dir;
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
