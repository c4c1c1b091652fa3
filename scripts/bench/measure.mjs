// How the bench measures. Children report their own CPU time and peak RSS:
// a preloaded hook writes process.resourceUsage() when they exit (getrusage
// of the process itself, microseconds; Node has no getrusage of children,
// and /usr/bin/time prints CPU in 10 ms steps), after every other exit
// listener (astotp writes its code cache in one). The FastAGI server is alive
// throughout, so its CPU and memory come from /proc/PID/stat and status.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'astotp-bench-usage-'));
let files = 0;

/** The preload, given in NODE_OPTIONS: writes "cpuMicros maxRssKb" to $ASTOTP_BENCH_USAGE on exit. */
export const PROBE = join(dir, 'probe.cjs');
writeFileSync(
  PROBE,
  `const emit = process.emit;
process.emit = function (event, ...args) {
  const r = emit.call(this, event, ...args);
  if (event === 'exit') { const u = process.resourceUsage(); require('fs').writeFileSync(process.env.ASTOTP_BENCH_USAGE, u.userCPUTime + u.systemCPUTime + ' ' + u.maxRSS); }
  return r;
};\n`,
);

/** A fresh file for one child's usage report (the environment that makes the child write it), and a reader for it. */
export function usageFile() {
  const file = join(dir, `usage-${++files}`);
  return {
    env: { ASTOTP_BENCH_USAGE: file, NODE_OPTIONS: `--require=${PROBE}` },
    read() {
      const [cpu, rss] = readFileSync(file, 'utf8').split(' ').map(Number);
      return { cpuMs: cpu / 1000, rssMb: rss / 1024 };
    },
  };
}

/**
 * `node ARGS` to its end, PROBE preloaded: wall time, CPU and peak RSS. The
 * environment is as bare as the one the scripted Asterisk gives a call:
 * variables such as NODE_EXTRA_CA_CERTS cost a Node start tens of ms.
 */
export function spawnMeasured(args) {
  const usage = usageFile();
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...usage.env },
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited with ${code}`));
      resolve({ wallMs: msSince(start), ...usage.read() });
    });
  });
}

export function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** CPU time a live process has used so far (10 ms steps: use over many calls). */
export function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Peak resident memory of a live process, MB. */
export function processPeakRssMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values) => percentile(values, 50);

/** Children of a live process now (Linux 3.5+: /proc/PID/task/PID/children). */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU a server and its workers have used so far: the PostgreSQL postmaster's
 * own, its reaped backends' (cutime, cstime), and its live backends'.
 */
export function serverTreeCpuMs(pid) {
  const cpu = (p) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
    } catch {
      return 0; // exited between the listing and the read; its time is in the parent's cutime once reaped
    }
  };
  return cpu(pid) + childrenOf(pid).reduce((sum, p) => sum + cpu(p), 0);
}

/** Backends of a PostgreSQL postmaster serving `role` now, by their process titles ("postgres: ROLE DB HOST(PORT) ..."). */
export function backendsOf(pid, role) {
  let n = 0;
  for (const p of childrenOf(pid)) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(`postgres: ${role} `)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** The most `count()` returned while `work` ran, sampled every `everyMs`. */
export async function peakDuring(work, count, everyMs = 25) {
  let peak = count();
  const timer = setInterval(() => (peak = Math.max(peak, count())), everyMs);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, count()) };
  } finally {
    clearInterval(timer);
  }
}

/** n runs of one(i) at once, each resolving to { wallMs, ... }: the results, throughput and latency percentiles. */
export async function atOnce(n, one) {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
  const totalMs = msSince(start);
  const lat = results.map((x) => x.wallMs);
  return { results, perSecond: n / (totalMs / 1000), p50: median(lat), p99: percentile(lat, 99) };
}
