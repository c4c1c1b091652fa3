// Where a classic call's CPU goes: the module probe's build of dist/astotp
// (node build.mjs --probe, scripts/probe-marks.mjs), run as Asterisk runs
// the bundle, marks moments and parts with the process's CPU time; this
// turns one run's marks into the bench's parts. Used by npm run bench and
// scripts/import-costs.mjs.

/** The parts in the order they happen, with what each holds. */
export const PARTS = [
  ['start', 'Node start (sh, Node, reading the boot code)'],
  ['compile', 'compile (code cache lookup and read, V8)'],
  ['modules', 'module init (every module, builtins they load)'],
  ['sqlite', 'SQLite (addon load, every call into it)'],
  ['scrypt', 'scrypt (the PIN hash)'],
  ['io', 'AGI I/O (writes, reply lines)'],
  ['rest', 'the rest (call logic, GC, exit)'],
];

/** CPU ms per part of one probe run (test/helpers/module-probe.ts's ModuleProbe); they add up to `total`. */
export function partsOf(probe) {
  const { cpu } = probe;
  const modules = Object.values(cpu.modules).reduce((sum, m) => sum + m.self, 0);
  const parts = { start: cpu.start, compile: cpu.main - cpu.start, modules, ...cpu.parts };
  const counted = Object.values(parts).reduce((sum, v) => sum + v, 0);
  return { ...parts, rest: cpu.exit - counted, total: cpu.exit };
}

/** One classic call of the probe build `copy`, spawned as Asterisk spawns a script; resolves with its probe. */
export async function probeCall(h, { copy, astDir, probe, env = {}, args = [], inputs }) {
  const r = await h.runCall({
    astDir,
    command: copy,
    commandArgs: [],
    env: { ...env, ASTOTP_PROBE: probe },
    args,
    inputs,
    replyDelayMs: 0,
    timeoutMs: 300_000,
  });
  if (r.variables.ASTOTP !== 'SUCCESS') throw new Error(`probe call failed: ${JSON.stringify(r.variables)} ${r.stderr}`);
  return h.readProbe(probe);
}
