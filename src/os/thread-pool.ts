// Work that runs in libuv's thread pool (an import's scrypt PIN hashes) gets
// one thread per core at most: the pool has 4 threads unless
// UV_THREADPOOL_SIZE says otherwise when it starts, at its first use.
import { availableParallelism } from 'node:os';

/** Each scrypt holds 16 MiB while it runs: more threads than this would only cost memory. */
const MAX_THREADS = 16;

/**
 * Set before the pool's first use, machines with more cores use them all.
 * An admin's own UV_THREADPOOL_SIZE is left as it is. Returns the pool's size.
 */
export function widenThreadPool(): number {
  const given = Number(process.env.UV_THREADPOOL_SIZE);
  if (given > 0) return given;
  const threads = Math.max(4, Math.min(availableParallelism(), MAX_THREADS));
  process.env.UV_THREADPOOL_SIZE = String(threads);
  return threads;
}
