// A build of dist/astotp that times its own modules (`node build.mjs --probe`,
// scripts/probe-marks.mjs): it shows which modules a run initialised and what
// each cost, and writes this, as JSON, to $ASTOTP_PROBE when the process exits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledModules } from '../../scripts/probe-marks.mjs';
import { BUNDLE_PATH, REPO_ROOT } from './asterisk-peer.js';
import { tempDir } from './temp.js';

export interface ModuleProbe {
  /** ms from process start to the first line of the bundle. */
  start: number;
  /** ms from process start to the first module of the bundle's code (once src/boot.ts compiled it). */
  main: number;
  /** ms from process start to exit. */
  exit: number;
  /** Every module initialised, by its path in the repo (src/cli/main.ts, node_modules/...). */
  modules: Record<string, { self: number; total: number }>;
  /** The same in CPU ms of the whole process (all threads), and the CPU of three parts of a call. */
  cpu: {
    start: number;
    main: number;
    exit: number;
    modules: Record<string, { self: number; total: number }>;
    /** The SQLite addon (loading it, calls into its classes), scrypt (call to callback), AGI I/O (fd 1 writes, stdin data events). */
    parts: { sqlite: number; scrypt: number; io: number };
  };
}

const modulesOf = (bundle: string): string[] => bundledModules(JSON.parse(readFileSync(`${bundle}.meta.json`, 'utf8')));

/**
 * Builds the timing copy into a new temp dir; returns its path and every
 * module `bundle` (the shipped build, whose metafile lists them) holds.
 */
export function probedBundle(bundle = BUNDLE_PATH): { path: string; allModules: string[] } {
  const path = join(tempDir('astotp-probe-'), 'astotp');
  execFileSync(process.execPath, [join(REPO_ROOT, 'build.mjs'), '--probe', path], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const allModules = modulesOf(bundle);
  // The copy answers for dist/astotp only while both hold the same modules.
  const probed = new Set(modulesOf(path));
  const differ = [...allModules.filter((m) => !probed.delete(m)), ...probed];
  if (differ.length)
    throw new Error(
      `module-probe: the probe build and ${bundle} hold different modules (${differ.join(', ')}); rebuild with node build.mjs`,
    );
  return { path, allModules };
}

export function readProbe(file: string): ModuleProbe {
  return JSON.parse(readFileSync(file, 'utf8')) as ModuleProbe;
}
