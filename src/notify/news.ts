// Which events are news under [notify]: every one but a right-PIN streak,
// which is news once, when it reaches pin_streak.
import type { AccountEvent } from '../auth/account-events.js';

export function newsOf(events: readonly AccountEvent[], pinStreak: number): AccountEvent[] {
  return events.filter((e) => e.kind !== 'pin-streak' || e.count === pinStreak);
}
