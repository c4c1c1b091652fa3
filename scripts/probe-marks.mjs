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

// The prelude runs first in the file. The bundle's code runs in the global
// scope (src/boot.ts compiles it with vm), so the probe is a global. Each
// moment and module is timed twice: wall ms (performance.now) and CPU ms of
// the whole process, all threads (process.cpuUsage). Besides the modules it
// sums the CPU spent in three parts of a call: the SQLite addon (loading it
// and every call into its classes), scrypt (from the call to its callback:
// the thread pool works while the main thread waits), and AGI I/O (writes
// to fd 1, stdin's data events).
export const PRELUDE = `globalThis.__astotpProbe = (() => {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const p = { start: performance.now(), cpuStart: cpu(), modules: {}, cpuModules: {}, frames: [], parts: { sqlite: 0, scrypt: 0, io: 0 } };
  const add = (part, c0) => { p.parts[part] += cpu() - c0; };
  const timed = (part, f) => function (...args) { const c0 = cpu(); try { return new.target ? Reflect.construct(f, args, new.target) : f.apply(this, args); } finally { add(part, c0); } };
  const timeMethods = (proto, part) => {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (key !== 'constructor' && typeof d.value === 'function') proto[key] = timed(part, d.value);
    }
  };
  const dlopen = process.dlopen;
  process.dlopen = function (module, file, ...rest) {
    const c0 = cpu();
    try { return dlopen.call(this, module, file, ...rest); } finally {
      if (/better_sqlite3/.test(String(file))) {
        const x = module.exports;
        for (const name of ['Database', 'Statement', 'StatementIterator', 'Backup']) if (typeof x[name] === 'function') timeMethods(x[name].prototype, 'sqlite');
        x.Database = new Proxy(x.Database, { construct: (target, args, newTarget) => { const c1 = cpu(); try { return Reflect.construct(target, args, newTarget); } finally { add('sqlite', c1); } } });
      }
      add('sqlite', c0);
    }
  };
  const Module = require('node:module');
  const load = Module.prototype.require;
  Module.prototype.require = function (id) {
    const m = load.apply(this, arguments);
    if ((id === 'node:crypto' || id === 'crypto') && !m.__astotpProbed) {
      const scrypt = m.scrypt;
      m.scrypt = (...args) => { const c0 = cpu(); const done = args.pop(); return scrypt(...args, (...r) => { add('scrypt', c0); done(...r); }); };
      m.scryptSync = timed('scrypt', m.scryptSync);
      Object.defineProperty(m, '__astotpProbed', { value: true });
    }
    return m;
  };
  const fs = require('node:fs');
  const writeSync = fs.writeSync;
  fs.writeSync = function (fd, ...rest) { const c0 = cpu(); try { return writeSync.call(this, fd, ...rest); } finally { if (fd === 1) add('io', c0); } };
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  Object.defineProperty(process, 'stdin', { configurable: true, enumerable: stdin.enumerable, get() {
    const s = stdin.get.call(process);
    if (!s.__astotpProbed) {
      const emit = s.emit;
      s.emit = function (event, ...args) { const c0 = cpu(); try { return emit.call(this, event, ...args); } finally { if (event === 'data') add('io', c0); } };
      Object.defineProperty(s, '__astotpProbed', { value: true });
    }
    return s;
  } });
  // A module counts as initialised from its start: one that throws (or
  // returns early, as CommonJS may) never reports its end, and its frame
  // goes with the next one that does.
  p.enter = (name) => {
    if (p.main === undefined) { p.main = performance.now(); p.cpuMain = cpu(); }
    p.modules[name] ??= { self: 0, total: 0 };
    p.cpuModules[name] ??= { self: 0, total: 0 };
    p.frames.push({ name, t0: performance.now(), c0: cpu(), inner: 0, innerCpu: 0 });
  };
  p.leave = (name) => {
    let frame;
    do frame = p.frames.pop(); while (frame && frame.name !== name);
    if (!frame) return;
    const total = performance.now() - frame.t0;
    const totalCpu = cpu() - frame.c0;
    const outer = p.frames[p.frames.length - 1];
    if (outer) { outer.inner += total; outer.innerCpu += totalCpu; }
    p.modules[name] = { self: total - frame.inner, total };
    p.cpuModules[name] = { self: totalCpu - frame.innerCpu, total: totalCpu };
  };
  // After every other exit listener (the code cache's write among them).
  const emit = process.emit;
  process.emit = function (event, ...args) {
    const r = emit.call(this, event, ...args);
    if (event === 'exit' && process.env.ASTOTP_PROBE) {
      fs.writeFileSync(process.env.ASTOTP_PROBE, JSON.stringify({
        start: p.start, main: p.main, exit: performance.now(), modules: p.modules,
        cpu: { start: p.cpuStart, main: p.cpuMain, exit: cpu(), modules: p.cpuModules, parts: p.parts },
      }));
    }
    return r;
  };
  return p;
})();`;

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
