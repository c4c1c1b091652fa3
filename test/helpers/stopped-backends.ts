// PostgreSQL processes stopped with SIGSTOP, as a backend that stops answering
// mid-call (a frozen process; to its client, like a link that drops every
// packet without a reset): the kernel still takes the bytes, nothing answers.
// Every stopped process is continued by resume(), and after each test that
// forgot to: a stopped backend would hold its locks, and a stopped server
// would not stop.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { postgresBinDir, type PostgresServer } from './postgres.js';
import { childrenOf } from './processes.js';

/**
 * The backends of astotp's connections to `database` now: pg_backend_pid()
 * of each, as pg_stat_activity lists them. Read with psql, synchronously, so
 * a caller's computed input (asterisk-peer.ts) can stop them mid-call.
 */
export function astotpBackends(server: PostgresServer, database: string): number[] {
  const sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'astotp' ORDER BY pid";
  const psql = join(postgresBinDir() as string, 'psql');
  const r = spawnSync(
    psql,
    ['-X', '-A', '-t', '-h', server.socketDir, '-p', String(server.port), '-U', 'postgres', '-d', database, '-c', sql],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`psql: ${r.stderr || r.error?.message}`);
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

export class StoppedProcesses {
  private readonly stopped = new Set<number>();

  constructor() {
    afterEach(() => this.resume());
  }

  /** SIGSTOP to each; returns them. */
  stop(pids: number[]): number[] {
    if (pids.length === 0) throw new Error('no process to stop');
    for (const pid of pids) {
      process.kill(pid, 'SIGSTOP');
      this.stopped.add(pid);
    }
    return pids;
  }

  /** The whole server: the postmaster first, so it starts no new backend, then every process it has. */
  stopServer(server: PostgresServer): number[] {
    const postmaster = this.stop([server.pid]);
    return [...postmaster, ...this.stop(childrenOf(server.pid))];
  }

  /** SIGCONT to every process stopped so far. */
  resume(): void {
    for (const pid of this.stopped) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // It is gone already.
      }
    }
    this.stopped.clear();
  }
}
