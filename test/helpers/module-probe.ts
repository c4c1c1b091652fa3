// A copy of dist/astotp that times its own modules: esbuild wraps each module
// in __esm/__commonJS and runs it on first import, so wrapping those two
// helpers shows which modules a run initialised and what each cost (self:
// without the modules it imported). The copy writes this, as JSON, to
// $ASTOTP_PROBE when the process exits.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_PATH } from './asterisk-peer.js';

export interface ModuleProbe {
  /** ms from process start to the first line of the bundle. */
  start: number;
  /** ms from process start to exit. */
  exit: number;
  /** Every module initialised, by esbuild's name for it (src/cli/main.ts, node_modules/...). */
  modules: Record<string, { self: number; total: number }>;
}

const PROBE = `
var __probe = { start: performance.now(), modules: {} }, __probeStack = [];
{
  const timed = (wrap) => (def, ...rest) => {
    const name = __getOwnPropNames(def)[0], init = wrap(def, ...rest);
    let seen = false;
    return function () {
      if (seen) return init.apply(this, arguments);
      seen = true;
      const t0 = performance.now();
      __probeStack.push(0);
      try { return init.apply(this, arguments); } finally {
        const total = performance.now() - t0, inner = __probeStack.pop();
        if (__probeStack.length) __probeStack[__probeStack.length - 1] += total;
        __probe.modules[name] = { self: total - inner, total };
      }
    };
  };
  __esm = timed(__esm);
  __commonJS = timed(__commonJS);
  process.on('exit', () => process.env.ASTOTP_PROBE && require('node:fs').writeFileSync(process.env.ASTOTP_PROBE, JSON.stringify({ ...__probe, exit: performance.now() })));
}
`;

/** Writes the timing copy of the bundle into a new temp dir; returns its path and every module the bundle holds. */
export function probedBundle(bundle = BUNDLE_PATH): { path: string; allModules: string[] } {
  const source = readFileSync(bundle, 'utf8');
  const at = source.indexOf('var __export');
  if (at < 0 || !source.includes('var __esm') || !source.includes('var __commonJS')) throw new Error('module-probe: esbuild helpers not found in the bundle');
  const dir = mkdtempSync(join(tmpdir(), 'astotp-probe-'));
  const path = join(dir, 'astotp');
  writeFileSync(path, source.slice(0, at) + PROBE + source.slice(at));
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  chmodSync(path, 0o755);
  // esbuild marks each module with a comment line naming its source file.
  const allModules = [...source.matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm)].map((m) => m[1]!);
  return { path, allModules };
}

export function readProbe(file: string): ModuleProbe {
  return JSON.parse(readFileSync(file, 'utf8')) as ModuleProbe;
}
