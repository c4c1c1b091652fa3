// The test helpers (TypeScript) for the benchmark scripts: the scripted
// Asterisk, the FastAGI peer and server, the throwaway site. esbuild compiles
// them into one temporary ES module, so the bench drives the bundle exactly
// as the tests do, without a copy of the peer. The PostgreSQL server helper
// also holds vitest hooks for test files: the bench gets stubs in their place
// (it starts and stops its server itself), and temp.ts's removeTempDirs, which
// ends the server before its data dir goes.
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `extra`: more modules of test/helpers/ to export, by name (the screenshots script's web and browser helpers). */
export async function loadHelpers(extra = []) {
  const outfile = join(mkdtempSync(join(tmpdir(), 'astotp-bench-')), 'helpers.mjs');
  await build({
    stdin: {
      contents: [
        'asterisk-peer',
        'fastagi-peer',
        'serve-agi',
        'site',
        'module-probe',
        'postgres',
        'pg-site',
        'temp',
        'pskc-files',
        ...extra,
      ]
        .map((m) => `export * from './test/helpers/${m}.ts';`)
        .join('\n'),
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
    plugins: [vitestStub, fromRepo],
  });
  return import(pathToFileURL(outfile).href);
}

/** Importing vitest outside its runner is no use: a hook called here says so. */
const vitestStub = {
  name: 'vitest-stub',
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: 'vitest', namespace: 'bench-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'bench-stub' }, () => ({
      contents: ['beforeAll', 'describe', 'it']
        .map((n) => `export function ${n}() { throw new Error('bench: vitest ${n}() is for test files'); }`)
        .join('\n'),
      loader: 'js',
    }));
  },
};

/** The module lives in the temp dir, where no node_modules is: packages (pg) are imported from the repo's by URL. */
const fromRepo = {
  name: 'from-repo',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      isBuiltin(args.path) ? undefined : { path: import.meta.resolve(args.path), external: true },
    );
  },
};
