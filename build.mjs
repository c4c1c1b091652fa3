// Bundles astotp into one executable file, dist/astotp, with better-sqlite3's
// native addon and the voice prompts embedded as bytes.
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const addonPath = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
const soundsDir = join(root, 'sounds');
const outfile = join(root, 'dist', 'astotp');

// Source files that hold run-from-source fallbacks; the bundle gets generated
// modules in their place so the bytes travel inside dist/astotp.
const generated = {
  [resolve(root, 'src/native/embedded-addon.ts')]: () => [
    `import bytes from ${JSON.stringify(addonPath)};`,
    `export const embeddedAddon = { bytes, abi: ${JSON.stringify(process.versions.modules)}, node: ${JSON.stringify(process.versions.node)} };`,
  ].join('\n'),
  [resolve(root, 'src/sounds/embedded-sounds.ts')]: () => {
    const files = readdirSync(soundsDir).filter((f) => /\.(wav|ulaw|gsm)$/.test(f)).sort();
    const lines = files.map((f, i) => `import s${i} from ${JSON.stringify(join(soundsDir, f))};`);
    lines.push(`export const embeddedSounds = { ${files.map((f, i) => `${JSON.stringify(f)}: s${i}`).join(', ')} };`);
    lines.push(`export const embeddedPromptTexts = ${JSON.stringify(readFileSync(join(soundsDir, 'prompts.tsv'), 'utf8'))};`);
    return lines.join('\n');
  },
};

const embed = {
  name: 'astotp-embed',
  setup(b) {
    b.onLoad({ filter: /embedded-(addon|sounds)\.ts$/ }, (args) => {
      const make = generated[args.path];
      return make ? { contents: make(), loader: 'ts', resolveDir: root } : undefined;
    });
    // With nativeBinding always passed, better-sqlite3 never needs 'bindings';
    // stubbing it keeps a path-searching loader out of the bundle.
    b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'astotp-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'astotp-stub' }, () => ({
      contents: 'module.exports = () => { throw new Error("astotp: native addon must be passed explicitly"); };',
      loader: 'js',
    }));
  },
};

mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  loader: { '.node': 'binary', '.wav': 'binary', '.ulaw': 'binary', '.gsm': 'binary' },
  plugins: [embed],
  legalComments: 'none',
  minifySyntax: true,
  logLevel: 'warning',
  // src/sounds reads import.meta.url only when run from source, never in the bundle.
  logOverride: { 'empty-import-meta': 'silent' },
});
chmodSync(outfile, 0o755);
// The repo is an ES module package; this marks the bundle in dist/ as the
// CommonJS it is. A copy installed in agi-bin needs nothing of the kind.
writeFileSync(join(dirname(outfile), 'package.json'), '{"type":"commonjs"}\n');
console.error(`built ${outfile}`);
