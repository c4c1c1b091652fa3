// Bundles astotp into one executable file, dist/astotp, with better-sqlite3's
// native addon and the English GSM prompts embedded as bytes, and writes every
// language's prompts in every format to dist/astotp-sounds.tar.gz beside it.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, readdirSync, readFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { soundsArchive } from './scripts/sounds-archive.mjs';
import { pskcPayload, webPayload } from './scripts/web-payload.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const addonPath = join(dirname(require.resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
const soundsDir = join(root, 'sounds');
// `node build.mjs --probe FILE` writes a copy for test/helpers/module-probe.ts
// instead: each module reports its own start and end (scripts/probe-marks.mjs).
// dist/astotp never holds those marks.
const probeAt = process.argv.indexOf('--probe');
const probeOut = probeAt > 0 ? process.argv[probeAt + 1] : undefined;
if (probeAt > 0 && !probeOut) throw new Error('build.mjs: --probe needs an output file');
const outfile = probeOut ? resolve(probeOut) : join(root, 'dist', 'astotp');
// Which source files the bundle holds, by repo-relative path; the shipped
// build's list tells the probe build which modules to mark.
const metafileOf = (file) => `${file}.meta.json`;

// Source files that hold run-from-source fallbacks; the bundle gets generated
// modules in their place so the bytes travel inside dist/astotp. The bytes
// themselves go after the code, brotli-compressed and base64 in one block
// comment each (see src/native/payload.ts): Node reads and parses the whole
// file at every start, and a comment costs a fraction of a string literal, a
// compressed one half of that again. A call decodes none of them while the
// addon's cached copy (checked against the digest) is in place.
const payloadModule = JSON.stringify(join(root, 'src/native/payload.ts'));
// Every call reads and scans the whole file, so only the English GSM set rides
// along (54 kB: install-sounds' fallback when the archive is not at hand);
// all languages in all formats would add some 12 MB and about 50 ms of CPU
// to each classic call.
const PROMPT_FILE = /^astotp-[a-z0-9-]+\.(wav|ulaw|gsm|sln16)$/;
const languages = readdirSync(soundsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const archived = languages.flatMap((lang) =>
  readdirSync(join(soundsDir, lang))
    .filter((f) => PROMPT_FILE.test(f))
    .map((f) => `${lang}/${f}`),
);
const soundFiles = readdirSync(join(soundsDir, 'en'))
  .filter((f) => /^astotp-.*\.gsm$/.test(f))
  .sort();
const payloads = [['addon', addonPath], ...soundFiles.map((f) => [`sound ${f}`, join(soundsDir, 'en', f)])];
const generated = {
  [resolve(root, 'src/native/embedded-addon.ts')]: () => {
    const bytes = readFileSync(addonPath);
    const facts = {
      size: bytes.length,
      digest: createHash('sha256').update(bytes).digest('hex'),
      abi: process.versions.modules,
      node: process.versions.node,
    };
    return [
      `import { readPayload } from ${payloadModule};`,
      `export const embeddedAddon = { ...${JSON.stringify(facts)}, bytes: () => readPayload(__filename, "addon", require("node:zlib")) };`,
    ].join('\n');
  },
  [resolve(root, 'src/sounds/embedded-sounds.ts')]: () => {
    const getters = soundFiles.map(
      (f) =>
        `${JSON.stringify(f)}: { enumerable: true, get: () => readPayload(__filename, ${JSON.stringify(`sound ${f}`)}, require("node:zlib")) }`,
    );
    return [
      `import { readPayload } from ${payloadModule};`,
      `export const embeddedSounds = Object.defineProperties({}, { ${getters.join(', ')} });`,
      'export const bundleFile = __filename;',
      `export const embeddedPromptTexts = ${JSON.stringify(readFileSync(join(soundsDir, 'en', 'prompts.tsv'), 'utf8'))};`,
    ].join('\n');
  },
};

// The web server and mail sender (serve-web, invite --send): a payload of their own, see scripts/web-payload.mjs.
const web = await webPayload({ root, payloadModule });
Object.assign(generated, web.generated);
payloads.push(['web', web.bytes]);
// The PSKC reader and its XML parser (import --pskc): no call parses them.
const pskc = await pskcPayload({ root, payloadModule });
Object.assign(generated, pskc.generated);
payloads.push(['pskc', pskc.bytes]);

const embed = {
  name: 'astotp-embed',
  setup(b) {
    b.onLoad({ filter: /(embedded-(addon|sounds)|load-(web|pskc))\.ts$/ }, (args) => {
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

const probe = probeOut ? await import('./scripts/probe-marks.mjs') : undefined;
const shipped = () => {
  try {
    return JSON.parse(readFileSync(metafileOf(join(root, 'dist', 'astotp')), 'utf8'));
  } catch (err) {
    throw new Error(`build.mjs --probe: no metafile of dist/astotp (${err.message}); run node build.mjs first`);
  }
};
const plugins = probe ? [probe.probeMarks({ root, generated, shipped: shipped() }), embed] : [embed];

// Written next to the target and renamed over it: tests running meanwhile
// (vitest builds before every run) never spawn a bundle without its payloads.
const staging = `${outfile}.${process.pid}.tmp`;
mkdirSync(dirname(outfile), { recursive: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'src/main.ts')],
  outfile: staging,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: `#!/usr/bin/env node${probe ? `\n${probe.PRELUDE}` : ''}` },
  plugins,
  metafile: true,
  legalComments: 'none',
  minifySyntax: true,
  logLevel: 'warning',
  // src/sounds reads import.meta.url only when run from source, never in the bundle.
  logOverride: { 'empty-import-meta': 'silent' },
});
for (const [name, file] of payloads) {
  const bytes = typeof file === 'string' ? readFileSync(file) : file;
  const packed = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  appendFileSync(staging, `\n/*astotp-payload ${name}\n${packed.toString('base64')}*/`);
}
appendFileSync(staging, '\n');
chmodSync(staging, 0o755);
renameSync(staging, outfile);
if (!probeOut) {
  // Renamed into place like the bundle; the probe build needs no sounds.
  const archive = join(dirname(outfile), 'astotp-sounds.tar.gz');
  writeFileSync(`${staging}.sounds`, soundsArchive(archived.map((p) => [p, readFileSync(join(soundsDir, p))])));
  renameSync(`${staging}.sounds`, archive);
}
writeFileSync(`${staging}.meta.json`, JSON.stringify(metafile));
renameSync(`${staging}.meta.json`, metafileOf(outfile));
// The repo is an ES module package; this marks the bundle in dist/ as the
// CommonJS it is. A copy installed in agi-bin needs nothing of the kind.
writeFileSync(join(dirname(outfile), 'package.json'), '{"type":"commonjs"}\n');
console.error(`built ${outfile}`);
