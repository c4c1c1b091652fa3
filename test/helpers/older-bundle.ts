// The astotp of an earlier commit, built from git into a temporary directory
// with this checkout's node_modules: for what an older PBX sharing the
// database does with rows a newer astotp wrote.
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './asterisk-peer.js';
import { tempDir } from './temp.js';

/** Builds `commit`'s dist/astotp and returns its path. */
export function olderBundle(commit: string): string {
  const dir = tempDir('astotp-older-');
  const src = join(dir, 'src');
  execFileSync('mkdir', [src]);
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', REPO_ROOT, commit, src]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(src, 'node_modules'));
  execFileSync(process.execPath, ['build.mjs'], { cwd: src, stdio: 'ignore' });
  return join(src, 'dist', 'astotp');
}
