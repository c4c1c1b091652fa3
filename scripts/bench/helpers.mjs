// The test helpers (TypeScript) for the benchmark scripts: the scripted
// Asterisk, the FastAGI peer and server, the throwaway site. esbuild compiles
// them into one temporary ES module, so the bench drives the bundle exactly
// as the tests do, without a copy of the peer.
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function loadHelpers() {
  const outfile = join(mkdtempSync(join(tmpdir(), 'astotp-bench-')), 'helpers.mjs');
  await build({
    stdin: {
      contents: ['asterisk-peer', 'fastagi-peer', 'serve-agi', 'site', 'module-probe'].map((m) => `export * from './test/helpers/${m}.ts';`).join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    // asterisk-peer.ts finds the repo (and dist/astotp) from its own location.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ROOT, 'test', 'helpers', 'asterisk-peer.ts')).href) },
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
