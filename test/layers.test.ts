// Dependencies point down. Every relative import in src/ is an edge from one
// folder (layer) to another; an edge that is not allowed here fails, so a
// shortcut up or sideways is a decision made in this file, not an accident.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/**
 * What each folder may import besides itself. From the top: main.ts picks a
 * mode; the CLI and the FastAGI server put the pieces together; then
 * call → auth → store → native. The leaves import nothing of astotp: agi (the
 * protocol; only its adapter knows the call layer), os (process identity and
 * durable files), sounds, totp, and pbotp (the protocol), which the HTTP
 * responder serves.
 */
const ALLOWED: Record<string, readonly string[]> = {
  '(root)': ['modes', 'cli'],
  modes: ['agi', 'call'],
  cli: ['fastagi', 'responder', 'call', 'auth', 'store', 'config', 'pbotp', 'sounds', 'native', 'os', '(package.json)'],
  fastagi: ['agi', 'call', 'auth', 'config'],
  responder: ['pbotp'],
  call: ['auth', 'config', 'pbotp', 'sounds'],
  auth: ['store', 'config', 'pbotp', 'os', 'totp'],
  store: ['native', 'os', 'totp'],
  native: ['os'],
  // The pbotp settings are checked where astotp.conf is read, so a bad key
  // is an error with its file and line; the checks (a public key must be a
  // usable X25519 point) belong to the protocol, which imports nothing back.
  config: ['pbotp', 'totp'],
  pbotp: [],
  agi: [],
  os: [],
  sounds: [],
  totp: [],
};

/** Single files allowed one more edge than their folder. */
const EXCEPTIONS: ReadonlyArray<{ file: string; to: string; why: string }> = [
  { file: 'boot.ts', to: 'native', why: "dist/astotp's entry compiles the rest of the bundle, from V8's code cache, before any mode runs" },
  { file: 'agi/agi-channel.ts', to: 'call', why: 'the adapter that implements CallChannel on an AGI session' },
  {
    file: 'config/settings.ts',
    to: 'store',
    why: 'whether db names a PostgreSQL URL (store/location.ts, a leaf) decides that key_file is required and a password refused',
  },
];

interface Edge {
  file: string;
  from: string;
  to: string;
  spec: string;
}

function layerOf(path: string): string {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return `(${relative(resolve(SRC, '..'), path)})`;
  return rel.includes('/') ? rel.split('/')[0]! : '(root)';
}

/** Static, type-only, re-export and dynamic imports alike. */
function edges(): Edge[] {
  const out: Edge[] = [];
  const files = readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const path = join(SRC, file);
    for (const m of readFileSync(path, 'utf8').matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const from = layerOf(path);
      const to = layerOf(resolve(dirname(path), m[1]!));
      if (from !== to) out.push({ file, from, to, spec: m[1]! });
    }
  }
  return out;
}

describe('the layers of src/', () => {
  const all = edges();

  it('finds the imports it checks', () => {
    // A broken scan would pass everything: make sure it sees known edges.
    expect(all).toContainEqual(expect.objectContaining({ file: 'store/sqlite/open-database.ts', to: 'native' }));
    expect(all).toContainEqual(expect.objectContaining({ file: 'main.ts', to: 'modes' }));
    expect(all).toContainEqual(expect.objectContaining({ file: 'modes/agi-main.ts', to: 'call', spec: '../call/run-call.js' }));
  });

  it('has every folder in the allow-list', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('imports only downwards', () => {
    const allowed = (e: Edge) => ALLOWED[e.from]?.includes(e.to) || EXCEPTIONS.some((x) => x.file === e.file && x.to === e.to);
    const bad = all.filter((e) => !allowed(e)).map((e) => `${e.file} imports ${e.spec} (${e.from} -> ${e.to})`);
    expect(bad).toEqual([]);
  });

  it('keeps no exception that is no longer needed', () => {
    const stale = EXCEPTIONS.filter((x) => !all.some((e) => e.file === x.file && e.to === x.to)).map(
      (x) => `${x.file} -> ${x.to}: delete this exception`,
    );
    expect(stale).toEqual([]);
  });

  it('decides on errors by class or code, never by the words of a message', () => {
    const files = readdirSync(SRC, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    const pattern =
      /\.test\([^)]*\.message\b|\.message\s*(?:===|!==|==|!=)|\.message\.(?:includes|startsWith|endsWith|match|search|indexOf)\(/;
    const hits = files.flatMap((f) =>
      readFileSync(join(SRC, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
