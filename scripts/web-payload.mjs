// The web server and the mail sender (src/web/: serve-web, invite --send),
// and the PSKC reader with its XML parser (import --pskc), each as a payload
// of dist/astotp, like the SQLite addon: its own esbuild bundle,
// appended compressed in a comment (src/native/payload.ts), so that a call,
// which parses the whole file at every start, pays nothing for it. The
// payload shares the main bundle's modules (the admin service, the store,
// the settings: one instance of each in the process): every import of a
// src/ module outside src/web/ becomes require("astotp-host:PATH"), and
// build.mjs replaces its loader (src/web/load-web.ts, src/cli/import/
// load-pskc.ts) with a module that imports those and hands them to the
// payload when it is first asked for.
import { build } from 'esbuild';
import { join, relative, resolve } from 'node:path';

const HOST = 'astotp-host:';
/**
 * Modules outside src/web/ that only the web uses: the payload carries its
 * own copy (they hold no state) instead of the main bundle holding one.
 * test/web-payload.test.ts fails when the main bundle holds one of them.
 */
export const CARRIED = [
  'src/auth/self-enrolment.ts',
  'src/auth/client-throttle.ts',
  'src/auth/web-session.ts',
  'src/auth/login-sessions.ts',
  'src/auth/account-login.ts',
  'src/auth/self-service.ts',
  'src/auth/phone-move.ts',
  // The pbotp authority's console (astotp pbotp serve).
  'src/auth/authority.ts',
];

/** Builds the web payload; returns its bytes, the loader's generated source by path, and the host modules it needs. */
export function webPayload({ root, payloadModule }) {
  const web = join(root, 'src', 'web');
  const carried = new Set(CARRIED.map((p) => join(root, p)));
  return hostedPayload({
    root,
    payloadModule,
    name: 'web',
    entry: join(web, 'entry.ts'),
    loader: { path: join(web, 'load-web.ts'), name: 'loadWeb' },
    inPayload: (path) => path.startsWith(`${web}/`) || carried.has(path),
  });
}

/** The PSKC payload: the reader and @xmldom/xmldom, which only import --pskc uses. */
export function pskcPayload({ root, payloadModule }) {
  const reader = join(root, 'src', 'cli', 'import', 'pskc.ts');
  return hostedPayload({
    root,
    payloadModule,
    name: 'pskc',
    entry: reader,
    loader: { path: join(root, 'src', 'cli', 'import', 'load-pskc.ts'), name: 'loadPskc' },
    inPayload: (path) => path === reader,
  });
}

async function hostedPayload({ root, payloadModule, name, entry, loader: at, inPayload }) {
  const src = join(root, 'src');
  const sharing = {
    name: `astotp-${name}-host`,
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (!inPayload(args.importer)) return undefined;
        const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
        if (!target.startsWith(`${src}/`) || inPayload(target)) return undefined;
        return { path: `${HOST}${relative(root, target)}`, external: true };
      });
    },
  };
  const out = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    metafile: true,
    legalComments: 'none',
    minifySyntax: true,
    minifyWhitespace: true,
    logLevel: 'warning',
    plugins: [sharing],
  });
  const [output] = Object.values(out.metafile.outputs);
  const hosts = [...new Set(output.imports.filter((i) => i.path.startsWith(HOST)).map((i) => i.path.slice(HOST.length)))].sort();
  const loader = () =>
    [
      `import { readPayload } from ${payloadModule};`,
      ...hosts.map((h, i) => `import * as h${i} from ${JSON.stringify(join(root, h))};`),
      `const host = { ${hosts.map((h, i) => `${JSON.stringify(h)}: h${i}`).join(', ')} };`,
      'let loaded;',
      `export function ${at.name}() {`,
      '  loaded ??= Promise.resolve().then(() => {',
      `    const code = readPayload(__filename, ${JSON.stringify(name)}, require("node:zlib")).toString("utf8");`,
      `    const run = require("node:vm").runInThisContext("(function (require, module, exports) {" + code + "\\n})", { filename: ${JSON.stringify(`astotp-${name}.js`)} });`,
      '    const module = { exports: {} };',
      `    run((id) => (id.startsWith(${JSON.stringify(HOST)}) ? host[id.slice(${HOST.length})] : require(id)), module, module.exports);`,
      '    return module.exports;',
      '  });',
      '  return loaded;',
      '}',
    ].join('\n');
  return {
    bytes: Buffer.from(out.outputFiles[0].contents),
    hosts,
    modules: Object.keys(output.inputs),
    generated: { [at.path]: loader },
  };
}
