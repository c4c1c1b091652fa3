// Tables and times for people; JSON for programs.
import { shownTime } from '../auth/clock.js';

/** A table cell or show line for a time that may be unset. */
export function timeCell(unix: number | null): string {
  return unix === null ? '-' : shownTime(unix);
}

export function isoTime(unix: number | null): string | null {
  return unix === null ? null : new Date(unix * 1000).toISOString();
}

/**
 * What a terminal may be shown of text that came from outside (a caller ID,
 * a channel name): control characters (escape sequences could clear or
 * rewrite the admin's screen) become `?`.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** Columns padded to their widest cell; the last column is not padded. Cells are shown printable. */
export function table(header: string[], rows: string[][]): string {
  rows = rows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "1 user", "2 users": a count with its noun, the plural made with s unless given. */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** Columns text for `stream` may take: the terminal's width, 80 when it is no terminal. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns ? stream.columns : 80;
}

/**
 * Help text wrapped to `width` columns as written for 80 or wider, keeping its
 * layout: a paragraph flows on into its next line, an option's description
 * continues under its own first word, a usage line under the command's
 * options; a word longer than the line is left whole.
 */
export function wrapText(text: string, width: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let usage = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
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

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
