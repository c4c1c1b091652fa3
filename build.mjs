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
// comment each (see src/native/payload.ts): a classic call never reads them
// (see the file's layout below), and `node astotp` reads and scans the whole
// file, where a comment costs a fraction of a string literal, a compressed
// one half of that again. Nothing decodes them while the addon's cached copy
// (checked against the digest) is in place.
const payloadModule = JSON.stringify(join(root, 'src/native/payload.ts'));
// Every `node astotp` start (the FastAGI server, the PAM steps) reads and
// scans the whole file, so only the English GSM set rides along (54 kB:
// install-sounds' fallback when the archive is not at hand); all languages
// in all formats would add some 12 MB and about 50 ms of CPU to each.
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
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  write: false,
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
};
// The code of main.ts and all it imports, minified: every call reads it, and
// V8 compiles what the call runs (from the code cache, see below).
const main = await build({
  ...common,
  entryPoints: [join(root, 'src/main.ts')],
  outfile: staging,
  plugins,
  metafile: true,
  // src/sounds reads import.meta.url only when run from source, never in the bundle.
  logOverride: { 'empty-import-meta': 'silent' },
});
const { metafile } = main;

// The file, line by line:
//   #!/bin/sh
//   ":" //; GLIBC_TUNABLES=glibc.malloc.hugetlb=1... exec node -e 'LAUNCH' -- "$0" "$@"
//   /*CODE*/
//   ;(function(require,module,__filename,bundleFd){BOOT})(require,module,__filename,-1);
//   /*astotp-payload NAME ...*/ ...
// Started as a program (Asterisk, the admin's shell), /bin/sh runs line 2
// and execs Node with LAUNCH, which reads BOOT by its offset and runs it:
// Node never reads the rest of the file, the payloads above all (the
// addon alone is 1.4 MB, some 3 ms of CPU to read and scan per call).
// Started as `node astotp` (systemd, pam_exec), the file is JavaScript:
// line 2 is a string and a comment, CODE and the payloads are comments,
// and BOOT runs as the line it is. Either way BOOT (src/boot.ts) reads CODE
// by its offset and compiles it from V8's code cache, keyed by its id.
// The glibc tunable (glibc 2.35 and later; others ignore it, and one the
// caller set wins) backs malloc's large blocks with huge pages where the
// kernel leaves that to madvise: the 16 MiB a PIN's scrypt fills then fault
// in as 8 pages, not 4096, some 5 ms of CPU a call.
// A comment ends at the first */, so the few in the code (the end of a
// regular expression such as /a*/, or a string) are written as
// CLOSE_ESCAPED, which the code never holds, and put back before compiling.
const source = `(function(exports,require,module,__filename,__dirname){${main.outputFiles[0].text}\n})`;
const CLOSE_ESCAPED = '*\x01/';
if (source.includes('\x01')) throw new Error('build.mjs: the minified code holds a \\x01 character; pick another CLOSE_ESCAPED');
if (/[^\0-\x7f]/.test(source)) throw new Error('build.mjs: the minified code is not ASCII; Node would read the whole file as UTF-16');
const codeText = source.replaceAll('*/', CLOSE_ESCAPED);
// Offsets are written with a fixed width, so the lines before CODE have one
// length whatever they say.
const number = (n) => String(n).padStart(10, ' ');
const launcher = (bootOffset, bootLength) =>
  `":" //; GLIBC_TUNABLES=glibc.malloc.hugetlb=1\${GLIBC_TUNABLES:+:$GLIBC_TUNABLES} exec node -e 'const f=require("fs"),p=f.realpathSync.native(process.argv[1]),d=f.openSync(p,"r"),b=Buffer.allocUnsafe(${number(bootLength)});f.readSync(d,b,0,b.length,${number(bootOffset)});process.argv[1]=p;(0,eval)(b.toString("latin1"))(require,module,p,d)' -- "$0" "$@"`;
// sh takes LAUNCH between single quotes: it must hold none itself.
if (launcher(0, 0).split("'").length !== 3) throw new Error('build.mjs: the launcher holds a single quote');
const head = `#!/bin/sh\n${launcher(0, 0)}\n/*`;
const codeOffset = head.length;
const boot = await build({
  ...common,
  entryPoints: [join(root, 'src/boot.ts')],
  outfile: `${staging}.boot`,
  define: {
    ASTOTP_CODE: JSON.stringify({
      id: createHash('sha256').update(source).digest('hex').slice(0, 32),
      offset: codeOffset,
      length: codeText.length,
      line: 2,
      column: 2,
      escaped: codeText.length !== source.length ? CLOSE_ESCAPED : null,
    }),
  },
});
// The probe's prelude runs first, inside BOOT, which both starts run.
const bootText = `(function(require,module,__filename,bundleFd){${probe ? `${probe.PRELUDE}\n` : ''}${boot.outputFiles[0].text.trimEnd()}\n})`;
// The ; ends line 2's string statement, which `(` would otherwise call.
const bootOffset = codeOffset + codeText.length + '*/\n;'.length;
writeFileSync(
  staging,
  `#!/bin/sh\n${launcher(bootOffset, bootText.length)}\n/*${codeText}*/\n;${bootText}(require,module,__filename,-1);`,
  'latin1',
);
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
