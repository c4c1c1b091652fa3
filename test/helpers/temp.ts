// Temporary directories for tests: each is removed after the test file that
// made it (test/setup/remove-temp.ts), so a run leaves nothing behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
const firsts: (() => unknown)[] = [];

/** A new empty directory under the temp dir, removed after this test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * Runs `end` after this test file, before its temp dirs go: for what lives
 * in them and must end first (a server whose data dir is one), even when a
 * test failed before it could end it.
 */
export function beforeTempRemoval(end: () => unknown): void {
  firsts.push(end);
}

export async function removeTempDirs(): Promise<void> {
  const failed: unknown[] = [];
  for (const end of firsts.splice(0))
    await Promise.resolve()
      .then(end)
      .catch((e: unknown) => failed.push(e));
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (failed.length > 0) throw failed[0];
}
