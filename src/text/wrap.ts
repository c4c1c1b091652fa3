// Help text laid out for the terminal it is shown on, at print time: the
// texts are written for 80 columns or wider, the terminal may be narrower.

/** Columns text for `stream` may take: the terminal's width, 80 when it is no terminal. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns ? stream.columns : 80;
}

/**
 * Help text wrapped to `width` columns as written for 80 or wider, keeping its
 * layout: a paragraph flows on into its next line, an option's description
 * continues under its own first word, a usage line under the command's
 * options; a word longer than the line is left whole, and so is a line
 * `whole` picks (one meant to be copied as it is, such as a pam.d line).
 */
export function wrapText(text: string, width: number, whole: (line: string) => boolean = () => false): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let usage = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (whole(line)) {
      out.push(line);
      usage = false;
      continue;
    }
    // A usage line and the indented lines under it.
    usage = line.startsWith('Usage: ') || (usage && line.trim() !== '' && indentOf(line) > 0);
    let merged = false;
    while (line.length > width) {
      const next = lines[i + 1];
      const hang = hangingIndent(line, next, width);
      const cut = breakPoint(line, width, Math.max(indentOf(line), hang), usage);
      if (cut === null) break;
      out.push(line.slice(0, cut).trimEnd());
      const rest = line.slice(cut).trimStart();
      if (next !== undefined && continues(line, next, hang)) {
        lines[i + 1] = `${' '.repeat(hang)}${rest} ${next.trimStart()}`;
        merged = true;
        break;
      }
      line = `${' '.repeat(hang)}${rest}`;
    }
    if (!merged) out.push(line);
  }
  return out.join('\n');
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Where the rest of a line too long goes: under what it continues. */
function hangingIndent(line: string, next: string | undefined, width: number): number {
  let hang: number;
  if (line.startsWith('Usage: ')) {
    // Under the options, where the text's own next usage line already is.
    const own = next !== undefined && /^ +[[(-]/.test(next) ? indentOf(next) : undefined;
    hang = own ?? (/^Usage: astotp(?: [a-z][a-z-]*)* /.exec(line)?.[0].length || 'Usage: '.length);
  } else {
    // "  --name VALUE    description": under the description.
    hang = /^ +\S+(?: \S+)*? {2,}(?=\S)/.exec(line)?.[0].length ?? indentOf(line);
  }
  // A terminal too narrow for the columns: a short indent beats a column of single words.
  return hang > width - 20 ? Math.min(indentOf(line) + 4, Math.max(0, width - 20)) : hang;
}

/**
 * The last space a line can be cut at within `width`, past `from`; else the
 * first after it; null for none. Usage is cut only between its [options],
 * never inside one, and `key = value` stays whole.
 */
function breakPoint(line: string, width: number, from: number, usage: boolean): number | null {
  const between: number[] = [];
  const inside: number[] = [];
  let depth = 0;
  for (let i = from + 1; i < line.length; i++) {
    const c = line[i]!;
    if (usage && (c === '[' || c === '(')) depth++;
    else if (usage && (c === ']' || c === ')')) depth = Math.max(0, depth - 1);
    else if (c === ' ' && line[i - 1] !== ' ' && !line.startsWith('= ', i + 1) && !line.endsWith(' =', i))
      (depth === 0 ? between : inside).push(i);
  }
  // An [option] wider than the line itself is cut inside after all.
  const fits = (i: number) => i <= width;
  return between.filter(fits).at(-1) ?? inside.filter(fits).at(-1) ?? between[0] ?? inside[0] ?? null;
}

/**
 * Whether `next` goes on with what `line` says, so the words cut off flow
 * into it: a paragraph's next line, or the next line of a description or
 * usage at the same indent. An example line or a new option is no place to
 * put them.
 */
function continues(line: string, next: string, hang: number): boolean {
  if (next.trim() === '' || indentOf(next) !== hang) return false;
  if (hang === 0) return !next.startsWith('Usage: ') && !/^[A-Z][A-Za-z ]*:$/.test(next);
  return hang > indentOf(line) || indentOf(line) >= 8;
}
