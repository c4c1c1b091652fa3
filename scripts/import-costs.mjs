// What each module of dist/astotp costs a classic AGI call: a build of the
// bundle whose modules time their own initialisation (node build.mjs --probe)
// runs successful calls against the scripted Asterisk, as Asterisk runs the
// bundle (the file itself) and from its code cache; the table shows the
// median CPU and wall self time per module over the runs, the CPU of each
// part of a call, and which modules a call never loads.
// Usage: node scripts/import-costs.mjs [RUNS]
import './bench/private-tmp.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHelpers } from './bench/helpers.mjs';
import { PARTS, partsOf, probeCall } from './bench/parts.mjs';

const RUNS = Number(process.argv[2] ?? 9);
const h = await loadHelpers();
const { path: copy, allModules: all } = h.probedBundle(h.BUNDLE_PATH);
const dir = mkdtempSync(join(tmpdir(), 'astotp-import-costs-'));
const cacheDir = join(dir, 'cache');
mkdirSync(cacheDir, { mode: 0o700 });

const site = new h.Site();
site.config({ timeout: 5 });
// A code is good once: each run logs in as a user of its own (same secret).
for (let i = 0; i <= RUNS; i++) site.enroll(String(1001 + i), '4321');
const runs = [];
for (let i = 0; i <= RUNS; i++) {
  const probe = await probeCall(h, {
    copy,
    astDir: site.astDir,
    probe: join(dir, `probe-${i}.json`),
    env: { ASTOTP_CACHE_DIR: cacheDir },
    inputs: [String(1001 + i), '4321', h.totp()],
  });
  if (i > 0) runs.push(probe); // the first run writes the addon's copy and the code cache
}

// The same moment for an empty script, in the same bare environment: what Node itself takes to get there.
const bare = [];
for (let i = 0; i < RUNS; i++) {
  const out = join(dir, `bare-${i}`);
  spawnSync(
    process.execPath,
    [
      '-e',
      `const u = process.cpuUsage(); require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([performance.now(), (u.user + u.system) / 1000]))`,
    ],
    { env: { PATH: process.env.PATH } },
  );
  bare.push(JSON.parse(readFileSync(out, 'utf8')));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = [...new Set(runs.flatMap((r) => Object.keys(r.modules)))];
const rows = names
  .map((name) => ({
    name,
    cpu: median(runs.map((r) => r.cpu.modules[name]?.self ?? 0)),
    self: median(runs.map((r) => r.modules[name]?.self ?? 0)),
    total: median(runs.map((r) => r.modules[name]?.total ?? 0)),
  }))
  .sort((a, b) => b.cpu - a.cpu);
const fmt = (ms) => ms.toFixed(2).padStart(8);
console.log(`dist/astotp on a classic AGI call with PIN, from its code cache, median of ${RUNS} runs (ms; CPU of all threads)`);
console.log(`  process start -> an empty script's first line (node -e), CPU:               ${fmt(median(bare.map((b) => b[1])))}`);
console.log(`  process start -> the bundle's first line (sh, Node, the boot code), CPU:    ${fmt(median(runs.map((r) => r.cpu.start)))}`);
console.log(`                                                                   wall:     ${fmt(median(runs.map((r) => r.start)))}`);
const parts = runs.map(partsOf);
for (const [k, label] of PARTS) console.log(`  ${label.padEnd(72)} ${fmt(median(parts.map((p) => p[k])))}`);
console.log(`  ${'total CPU'.padEnd(72)} ${fmt(median(parts.map((p) => p.total)))}`);
console.log(
  `\n${'CPU'.padStart(8)} ${'self'.padStart(8)} ${'total'.padStart(8)}  module (initialised on the call; self and total: wall ms)`,
);
for (const r of rows)
  if (r.cpu >= 0.05 || r.self >= 0.05 || process.env.ALL) console.log(`${fmt(r.cpu)} ${fmt(r.self)} ${fmt(r.total)}  ${r.name}`);
const loaded = new Set(names);
const skipped = all.filter((m) => !loaded.has(m));
console.log(
  `\n${rows.filter((r) => r.cpu < 0.05 && r.self < 0.05).length} more modules under 0.05 ms; ${skipped.length} of ${all.length} modules never initialised on a call, e.g.:`,
);
for (const prefix of [
  'src/cli/',
  'src/pbotp/',
  'src/web/',
  'node_modules/uqr',
  'node_modules/@scure',
  'src/sounds/embedded',
  'src/sounds/install',
]) {
  const n = skipped.filter((m) => m.startsWith(prefix)).length;
  console.log(
    `  ${prefix.padEnd(22)} ${String(n).padStart(3)} skipped, ${String(loaded.size && [...loaded].filter((m) => m.startsWith(prefix)).length).padStart(3)} loaded`,
  );
}
console.log(
  '\nA module that shows about a millisecond of CPU on one run and not on others had the scavenge (young GC) that every call takes once.',
);
