// Once per vitest run, before any test file: builds dist/astotp, which the
// tests spawn as Asterisk would (a stale bundle would test old code), and
// gives the run a temp dir of its own, removed at the end even when a test
// or helper forgot something in it (or the run was interrupted mid-file).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../helpers/asterisk-peer.js';

function build(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export default function setup(project: TestProject): () => void {
  build();
  // Watch mode reruns tests after an edit: the bundle must follow.
  project.onTestsRerun(build);
  const runDir = mkdtempSync(join(tmpdir(), 'astotp-tests-'));
  // Tests drop privileges to other users, who must reach their files in here as in /tmp.
  chmodSync(runDir, 0o755);
  const outer = process.env.TMPDIR;
  // Test workers and what they spawn inherit this environment.
  process.env.TMPDIR = runDir;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    rmSync(runDir, { recursive: true, force: true });
  };
}
