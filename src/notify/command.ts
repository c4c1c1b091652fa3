// notify_command: the site's own program, run with one event as JSON on
// stdin, killed when it outlives its time. Its output goes nowhere: a
// command is for acting on an event, not for talking back.
import { type ChildProcess, spawn } from 'node:child_process';

function killGroup(c: ChildProcess): void {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    c.kill('SIGKILL');
  }
}

const running = new Set<ChildProcess>();

/** Kills the commands still running: the notifier's time is up, and nothing it started may outlive it. */
export function killRunningCommands(): void {
  for (const c of running) killGroup(c);
}

/** Resolves with null when the command exited 0, else why not. Never rejects. */
export function runNotifyCommand(path: string, json: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (why: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(why);
    };
    // Its own process group, so that a kill reaches what it started too.
    const child = spawn(path, [], { stdio: ['pipe', 'ignore', 'ignore'], env: { PATH: '/usr/local/bin:/usr/bin:/bin' }, detached: true });
    running.add(child);
    child.on('close', () => running.delete(child));
    const timer = setTimeout(() => {
      killGroup(child);
      finish(`${path} did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`);
    }, timeoutMs);
    child.on('error', (err) => finish(`${path} cannot be run: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    child.on('close', (code, signal) => finish(code === 0 ? null : `${path} exited with ${signal ?? code}`));
    child.stdin.on('error', () => {});
    child.stdin.end(`${json}\n`);
  });
}
