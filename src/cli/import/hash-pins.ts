// An import's PINs are hashed before its one write transaction, so calls
// never wait behind the scrypt work (25-55 ms a PIN): all at once, which
// puts them in libuv's thread pool, one thread per core at most.
import { availableParallelism } from 'node:os';
import { hashPin } from '../../auth/pin-hash.js';

/** Each scrypt holds 16 MiB while it runs: more threads than this would only cost memory. */
const MAX_THREADS = 16;

/**
 * The pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise when it
 * starts, at its first use: set before then, machines with more cores use
 * them all. An admin's own UV_THREADPOOL_SIZE is left as it is.
 */
export function widenThreadPool(): number {
  const given = Number(process.env.UV_THREADPOOL_SIZE);
  if (given > 0) return given;
  const threads = Math.max(4, Math.min(availableParallelism(), MAX_THREADS));
  process.env.UV_THREADPOOL_SIZE = String(threads);
  return threads;
}

/** The hash of each PIN, null where there is none; in the order given. */
export function hashPins(pepper: Buffer, users: readonly { id: string; pin: string | null }[]): Promise<(string | null)[]> {
  return Promise.all(users.map((u) => (u.pin === null ? null : hashPin(pepper, u.id, u.pin))));
}
