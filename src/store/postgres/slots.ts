// Turns for the pool's connections. node-postgres lets a caller wait for a
// free pooled connection only as long as it waits for a new one to connect
// (connectionTimeoutMillis), so a FastAGI server whose calls briefly queue
// for db_pool's connections would report a healthy server as unreachable.
// Waiting for a turn here is bounded by db_timeout, like a wait for a lock,
// and the pool is never asked for more connections than it has.
import { StoreError } from '../errors.js';

export class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly name: string,
  ) {}

  /** Resolves with the function that gives the turn back; waits at most waitMs, the `limit` setting's time. */
  async take(waitMs = this.timeoutMs, limit = 'db_timeout'): Promise<() => void> {
    if (this.active < this.size) {
      this.active++;
      return this.giver();
    }
    await new Promise<void>((resolve, reject) => {
      const turn = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.waiting.splice(this.waiting.indexOf(turn), 1);
          reject(
            new StoreError(
              `database ${this.name}: ${this.size === 1 ? 'its one connection' : `all ${this.size} connections`} (db_pool) stayed in use for ${limit} (${Number((Math.max(0, waitMs) / 1000).toFixed(1))} s)`,
              'busy',
            ),
          );
        },
        Math.max(0, waitMs),
      );
      this.waiting.push(turn);
    });
    return this.giver();
  }

  private giver(): () => void {
    let given = false;
    return () => {
      if (given) return;
      given = true;
      // The turn passes straight to the next in line, or back to the pool of free turns.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
