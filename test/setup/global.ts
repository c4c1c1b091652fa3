// Once per vitest run, before any test file: builds dist/astotp, which the
// tests spawn as Asterisk would (a stale bundle would test old code).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../helpers/asterisk-peer.js';

function build(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export default function setup(project: TestProject): void {
  build();
  // Watch mode reruns tests after an edit: the bundle must follow.
  project.onTestsRerun(build);
}
