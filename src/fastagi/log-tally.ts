// Events anyone who can connect can cause by the thousand, counted and logged
// as one line per interval at most. A line each would crowd out the lines
// that matter: journald drops a service's lines beyond its rate limit, and
// it cannot tell a flood from a call's result.

/** Reasons counted apart in one line; the rest are summed as other reasons. */
const MAX_REASONS = 8;

export interface Tally {
  total: number;
  /** Count per reason, most frequent first, at most MAX_REASONS of them. */
  reasons: Array<[string, number]>;
  /** Counted beyond those reasons. */
  other: number;
}

export class LogTally {
  private total = 0;
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly write: (tally: Tally) => void,
  ) {}

  /** Counts one event; the line that holds it is written at most everyMs later. */
  add(reason = ''): void {
    this.total++;
    // Reasons may carry the peer's words (a header name): their number is bounded, not their kinds.
    const count = this.counts.get(reason);
    if (count !== undefined || this.counts.size < MAX_REASONS) this.counts.set(reason, (count ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(), this.everyMs).unref();
  }

  /** Writes what has been counted, if anything, now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.total === 0) return;
    const reasons = [...this.counts].sort((a, b) => b[1] - a[1]);
    const other = this.total - reasons.reduce((sum, [, n]) => sum + n, 0);
    const tally = { total: this.total, reasons, other };
    this.total = 0;
    this.counts = new Map();
    this.write(tally);
  }
}
