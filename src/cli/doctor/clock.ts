// Doctor's verdict on this PBX's clock against another one (the database
// server's, or clock_source), the same thresholds for every source.
import type { Settings } from '../../config/settings.js';
import { errorText, fail, pass, warn, type Check } from './check.js';
import { offsetFrom } from './time-sources.js';

/** Closer than this is as good as NTP keeps two machines over a network. */
const CLOSE_MS = 2_000;

/**
 * `offsetMs`: the other clock minus this one. Beyond half a period, a code
 * typed right away already belongs to another step than this PBX computes,
 * so a window of 0 refuses it and any window gives a guesser a wider target.
 */
export function offsetCheck(other: string, offsetMs: number, periodS: number): Check {
  const limitMs = (periodS * 1000) / 2;
  const off = `this PBX's clock is ${Math.abs(offsetMs) / 1000} s ${offsetMs > 0 ? 'behind' : 'ahead of'} ${other}`;
  if (Math.abs(offsetMs) > limitMs) return fail('clock', `${off}; codes fail beyond ${limitMs / 1000} s: synchronise both with NTP`);
  if (Math.abs(offsetMs) > CLOSE_MS) return warn('clock', `${off}; synchronise both with NTP`);
  return pass('clock', `this PBX's clock is within ${CLOSE_MS / 1000} s of ${other} (${offsetMs} ms)`);
}

/** clock_source, when set: unreachable is a warning, since nothing could be compared. */
export async function checkClockSource(s: Settings): Promise<Check[]> {
  if (!s.clockSource) return [];
  const other = `the time at ${s.clockSource.text}`;
  try {
    return [offsetCheck(other, await offsetFrom(s.clockSource), s.period)];
  } catch (err) {
    return [warn('clock', `cannot compare with ${s.clockSource.text} (clock_source): ${errorText(err)}`)];
  }
}
