// The bundle an earlier commit of astotp builds, for tests of PBXs not yet
// upgraded that share a database with upgraded ones: the commit's tree from
// git, built with this checkout's node_modules (as
// scripts/make-upgrade-fixture.sh builds its fixtures' astotp).
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './asterisk-peer.js';
import { tempDir } from './temp.js';

/** main before tokens: schema 5, which allows schema 2 astotp. */
const BEFORE_TOKENS = '3e449fb';

/** The path of the bundle `commit` builds. */
export function olderBundle(commit = BEFORE_TOKENS): string {
  const dir = tempDir(`astotp-${commit}-`);
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', REPO_ROOT, commit, dir]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, ['build.mjs'], { cwd: dir, stdio: 'ignore' });
  return join(dir, 'dist', 'astotp');
}
