// Loads better-sqlite3's native addon. In the bundle its bytes are embedded:
// they are written once to a private, content-addressed cache file (Node can
// only dlopen from a path) and loaded from there.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceAtomically } from '../os/files.js';
import { cacheDirs } from './cache-dirs.js';
import { embeddedAddon } from './embedded-addon.js';
import { ensurePrivateDir } from './private-dir.js';
import { errorMessage } from '../text/error-message.js';

/** The native layer's failure: the addon cannot be written, found or loaded. */
class AddonError extends Error {
  override name = 'AddonError';
}

/** The addon object for better-sqlite3's `nativeBinding`, or undefined to let it find its own. */
export function loadSqliteAddon(): object | undefined {
  if (!embeddedAddon) return undefined;
  const { abi, node } = embeddedAddon;
  if (process.versions.modules !== abi) {
    throw new AddonError(
      `astotp was built for Node ${node.split('.')[0]} (ABI ${abi}) but is running on Node ${process.versions.node} (ABI ${process.versions.modules}); run it with Node ${node.split('.')[0]} or rebuild it with this Node.`,
    );
  }
  const file = cachedCopy(embeddedAddon);
  const module = { exports: {} as object };
  try {
    process.dlopen(module, file);
  } catch (err) {
    throw new AddonError(`cannot load the SQLite addon from ${file}: ${errorMessage(err)}`, { cause: err });
  }
  return module.exports;
}

/** The addon is decoded from the bundle only when no good copy is cached. */
function cachedCopy(addon: { bytes(): Uint8Array; size: number; digest: string }): string {
  const { size, digest } = addon;
  let bytes: Uint8Array | undefined;
  const name = `better_sqlite3-${digest.slice(0, 32)}.node`;
  const problems: string[] = [];
  for (const candidate of cacheDirs()) {
    const dir = ensurePrivateDir(candidate);
    if (!dir) {
      problems.push(`${candidate}: not private`);
      continue;
    }
    const file = join(dir, name);
    if (matches(file, size, digest)) return file;
    try {
      replaceAtomically(file, (bytes ??= addon.bytes()), { permissions: 0o500 });
      if (matches(file, size, digest)) return file;
      problems.push(`${file}: content check failed`);
    } catch (err) {
      problems.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  }
  throw new AddonError(
    `cannot write the SQLite addon to a private cache directory (${problems.join('; ')}); set ASTOTP_CACHE_DIR to a directory only this user can write`,
  );
}

function matches(file: string, size: number, digest: string): boolean {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || st.size !== size || st.uid !== (process.geteuid?.() ?? st.uid) || st.mode & 0o022) return false;
  // Acting as ourselves, a file in our private directory could only have been
  // put there by us: reading and hashing 2 MB on every call buys nothing. A
  // process acting for another user (root's CLI with the database owner's
  // effective ID) must not trust what that user could have planted.
  if (process.getuid?.() === process.geteuid?.()) return true;
  return createHash('sha256').update(readFileSync(file)).digest('hex') === digest;
}
