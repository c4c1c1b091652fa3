// The module probe's build (`node build.mjs --probe FILE`): every module the
// shipped bundle holds reports its own start and end to a prelude, which
// writes which modules a run initialised and what each cost (total: with the
// modules it imported first; self: without them) as JSON to $ASTOTP_PROBE at
// exit. The marks are ordinary code in each module's source, so nothing
// depends on how esbuild names its module wrappers. An ES module's imports
// run before its first statement, so its start is a first import of its own;
// a CommonJS module's requires run in place, so a statement does. Only the
// modules the shipped build holds are marked: a mark cannot keep alive a
// module that tree shaking drops from dist/astotp.
import { readFileSync } from 'node:fs';
import { dirname, extname, relative } from 'node:path';

const ENTER = 'astotp-probe-enter:';
const PROBE_NAMESPACE = 'astotp-probe';

/** A module's name in probe output and metafiles: its path from the repo, or from its package's node_modules however that is reached. */
export function moduleName(path) {
  const at = path.lastIndexOf('node_modules/');
  return at >= 0 ? path.slice(at) : path;
}

/** Every module an esbuild metafile says its one output holds, the probe's own marks left out. */
export function bundledModules(metafile) {
  const [output] = Object.values(metafile.outputs);
  return Object.entries(output.inputs)
    .filter(([path, input]) => input.bytesInOutput > 0 && !path.startsWith(`${PROBE_NAMESPACE}:`))
    .map(([path]) => moduleName(path));
}

export const PRELUDE = `var __astotpProbe = { start: performance.now(), modules: {}, frames: [] };
// A module counts as initialised from its start: one that throws (or returns
// early, as CommonJS may) never reports its end, and its frame goes with the
// next one that does.
__astotpProbe.enter = (name) => {
  __astotpProbe.modules[name] ??= { self: 0, total: 0 };
  __astotpProbe.frames.push({ name, t0: performance.now(), inner: 0 });
};
__astotpProbe.leave = (name) => {
  const frames = __astotpProbe.frames;
  let frame;
  do frame = frames.pop(); while (frame && frame.name !== name);
  if (!frame) return;
  const total = performance.now() - frame.t0;
  if (frames.length) frames[frames.length - 1].inner += total;
  __astotpProbe.modules[name] = { self: total - frame.inner, total };
};
process.on('exit', () => process.env.ASTOTP_PROBE && require('node:fs').writeFileSync(process.env.ASTOTP_PROBE, JSON.stringify({ start: __astotpProbe.start, modules: __astotpProbe.modules, exit: performance.now() })));`;

const LOADERS = { '.ts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js' };
// A hashbang, comments and a "use strict" stay first: a mark before a
// directive would turn it into an ordinary string and the module sloppy.
const PROLOGUE = /^(?:#![^\n]*\n)?(?:\s+|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(?:(['"])use strict\1;?)?/;

/** esbuild plugin: marks the modules of the shipped build's metafile `shipped`; `generated` holds build.mjs's generated sources by path. */
export function probeMarks({ root, generated, shipped }) {
  const held = new Set(bundledModules(shipped));
  const formats = new Map(Object.entries(shipped.inputs).map(([path, input]) => [moduleName(path), input.format]));
  return {
    name: 'astotp-probe-marks',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${ENTER}`) }, (args) => ({ path: args.path.slice(ENTER.length), namespace: PROBE_NAMESPACE }));
      b.onLoad({ filter: /.*/, namespace: PROBE_NAMESPACE }, (args) => ({
        contents: `__astotpProbe.enter(${JSON.stringify(args.path)});\nexport {};`,
        loader: 'js',
      }));
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const name = moduleName(relative(root, args.path));
        const loader = LOADERS[extname(args.path)];
        if (!held.has(name) || !loader) return undefined;
        const source = generated[args.path]?.() ?? readFileSync(args.path, 'utf8');
        const head = PROLOGUE.exec(source)[0].length;
        const quoted = JSON.stringify(name);
        const enter = formats.get(name) === 'esm' ? `import ${JSON.stringify(ENTER + name)};` : `__astotpProbe.enter(${quoted});`;
        return {
          contents: `${source.slice(0, head)}\n${enter}\n${source.slice(head)}\n;__astotpProbe.leave(${quoted});\n`,
          loader,
          resolveDir: dirname(args.path),
        };
      });
    },
  };
}
