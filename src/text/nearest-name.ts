// Which known name a mistyped one was meant to be: the nearest by edit
// distance (a swap of two neighbours counts as one edit, as typists make
// them), and only when it is near and alone there, so a word that is simply
// unknown gets no guess. For astotp.conf's keys and the command line alike.

/** Edits allowed: one for short words, more for long ones. */
function nearEnough(length: number): number {
  return length <= 4 ? 1 : length <= 8 ? 2 : 3;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The one known name nearest to `typed` (case ignored), or null when none is near or several are equally so. */
function nearestName(typed: string, known: Iterable<string>): string | null {
  const word = typed.toLowerCase();
  let best: string | null = null;
  let bestDistance = nearEnough(word.length) + 1;
  let tie = false;
  for (const name of new Set(known)) {
    const distance = editDistance(word, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) tie = true;
  }
  return tie || best === typed ? null : best;
}

/** "; did you mean X?" with the nearest known name as `shown` spells it, or nothing. */
export function didYouMean(typed: string, known: Iterable<string>, shown: (name: string) => string = (n) => n): string {
  const near = nearestName(typed, known);
  return near === null ? '' : `; did you mean ${shown(near)}?`;
}
