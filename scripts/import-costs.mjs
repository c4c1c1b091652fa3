// What each module of dist/astotp costs a classic AGI call: a build of the
// bundle whose modules time their own initialisation (node build.mjs --probe)
// runs a successful call against the scripted Asterisk; the
// table shows the median self time per module over the runs, and which
// modules a call never loads. Usage: node scripts/import-costs.mjs [RUNS]
import './bench/private-tmp.mjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHelpers } from './bench/helpers.mjs';

const RUNS = Number(process.argv[2] ?? 9);
const h = await loadHelpers();
const { path: copy, allModules: all } = h.probedBundle(h.BUNDLE_PATH);
const dir = mkdtempSync(join(tmpdir(), 'astotp-import-costs-'));

const site = new h.Site();
site.config({ timeout: 5 });
// A code is good once: each run logs in as a user of its own (same secret).
for (let i = 0; i <= RUNS; i++) site.enroll(String(1001 + i), '4321');
const runs = [];
for (let i = 0; i <= RUNS; i++) {
  const probe = join(dir, `probe-${i}.json`);
  const r = await h.runCall({
    astDir: site.astDir,
    commandArgs: [copy],
    env: { ASTOTP_PROBE: probe },
    inputs: [String(1001 + i), '4321', h.totp()],
    replyDelayMs: 0,
  });
  if (r.variables.ASTOTP !== 'SUCCESS') throw new Error(`import-costs: call failed: ${JSON.stringify(r.variables)} ${r.stderr}`);
  if (i > 0) runs.push(h.readProbe(probe)); // the first run warms the addon cache
}

// The same moment for an empty script, in the same bare environment: what Node itself takes to get there.
const bare = [];
for (let i = 0; i < RUNS; i++) {
  const out = join(dir, `bare-${i}`);
  spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(out)}, String(performance.now()))`], {
    env: { PATH: process.env.PATH },
  });
  bare.push(Number(readFileSync(out, 'utf8')));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const names = [...new Set(runs.flatMap((r) => Object.keys(r.modules)))];
const rows = names
  .map((name) => ({
    name,
    self: median(runs.map((r) => r.modules[name]?.self ?? 0)),
    total: median(runs.map((r) => r.modules[name]?.total ?? 0)),
  }))
  .sort((a, b) => b.self - a.self);
const fmt = (ms) => ms.toFixed(2).padStart(8);
console.log(`dist/astotp on a classic AGI call, median of ${RUNS} runs (ms)`);
console.log(`  process start -> an empty script starts running (Node alone):       ${fmt(median(bare))}`);
console.log(`  process start -> bundle starts running (Node start, read + compile): ${fmt(median(runs.map((r) => r.start)))}`);
console.log(`  bundle starts -> exit (modules, call, database):                  ${fmt(median(runs.map((r) => r.exit - r.start)))}`);
console.log(`  all module initialisation (sum of self times):                     ${fmt(rows.reduce((s, r) => s + r.self, 0))}`);
console.log(`\n${'self'.padStart(8)} ${'total'.padStart(8)}  module (initialised on the call)`);
for (const r of rows) if (r.self >= 0.05 || process.env.ALL) console.log(`${fmt(r.self)} ${fmt(r.total)}  ${r.name}`);
const loaded = new Set(names);
const skipped = all.filter((m) => !loaded.has(m));
console.log(
  `\n${rows.filter((r) => r.self < 0.05).length} more modules under 0.05 ms; ${skipped.length} of ${all.length} modules never initialised on a call, e.g.:`,
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
