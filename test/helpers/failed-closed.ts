// The dialplan's view of a call that must not let the caller in.
import { expect } from 'vitest';
import type { CallResult } from './asterisk-peer.js';

/**
 * ASTOTP=FAILURE was the first variable set and the last word, SUCCESS was
 * never set (not even for a moment), ASTOTP_USER names nobody and the
 * program kept to the AGI protocol. With a `reason`, the whole report came
 * through: ASTOTP_REASON is that and ASTOTP_USER is set, empty. Without one
 * (a channel gone before the report, e.g. its stdin closed), ASTOTP_USER
 * may be missing.
 */
export function expectFailedClosed(r: CallResult, reason?: string): void {
  expect(r.violations).toEqual([]);
  expect(r.setLog[0]).toEqual(['ASTOTP', 'FAILURE']);
  expect(r.setLog.filter(([, value]) => value === 'SUCCESS')).toEqual([]);
  expect(r.variables.ASTOTP).toBe('FAILURE');
  if (reason === undefined) expect(r.variables.ASTOTP_USER ?? '').toBe('');
  else expect(r.variables).toMatchObject({ ASTOTP_REASON: reason, ASTOTP_USER: '' });
}
