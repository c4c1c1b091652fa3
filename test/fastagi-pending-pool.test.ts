// The pool of FastAGI connections that hold no call slot: bounded per client
// address and in all, the oldest making room.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PendingPool } from '../src/fastagi/pending-pool.js';

const socket = (remoteAddress: string, n: number) => ({ remoteAddress, n }) as unknown as Socket & { n: number };

describe('the pending pool', () => {
  it.each([1, 2, 3])('holds at most %i connections of one address, evicting the oldest', (perAddress) => {
    const pool = new PendingPool(perAddress, 4 * perAddress);
    const evicted = Array.from({ length: 6 }, (_, i) => (pool.add(socket('127.0.0.1', i)) as (Socket & { n: number }) | null)?.n ?? null);
    // The first perAddress go in; each later one pushes out the oldest held.
    expect(evicted).toEqual(Array.from({ length: 6 }, (_, i) => (i < perAddress ? null : i - perAddress)));
  });

  it('leaves other addresses their room until the overall bound', () => {
    const pool = new PendingPool(1, 2);
    expect(pool.add(socket('127.0.0.1', 0))).toBeNull();
    expect(pool.add(socket('127.0.0.2', 1))).toBeNull();
    expect((pool.add(socket('127.0.0.3', 2)) as Socket & { n: number }).n).toBe(0);
  });
});
