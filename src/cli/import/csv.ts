// The CSV an import reads: one user per line, columns user, pin, secret,
// algorithm, digits, period, name, email, language (all but user may be
// empty or missing), in that
// order or in the order a header line names. Blank lines and lines starting
// with # are skipped. Fields may be quoted as spreadsheets write them, and
// may carry the leading ' an export puts before what a spreadsheet would run
// as a formula (csvField): one leading ' is taken away.
export const CSV_COLUMNS = ['user', 'pin', 'secret', 'algorithm', 'digits', 'period', 'name', 'email', 'language'] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export interface CsvRecord<C extends string = CsvColumn> {
  /** 1-based line number in the file, for the error report. */
  line: number;
  fields: Partial<Record<C, string>>;
}

export interface CsvLineError {
  line: number;
  message: string;
}

/**
 * The records of `text`, or the lines that could not be read; nothing in a
 * message repeats a field (it may be a PIN or secret). `known`: the columns
 * of this kind of file (an import's by default), in their default order.
 */
export function parseCsv<C extends string = CsvColumn>(
  text: string,
  known: readonly C[] = CSV_COLUMNS as unknown as readonly C[],
): { records: CsvRecord<C>[]; errors: CsvLineError[] } {
  const records: CsvRecord<C>[] = [];
  const errors: CsvLineError[] = [];
  let columns: readonly C[] | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const cells = splitFields(raw);
    if (cells === null) {
      errors.push({ line, message: 'a quoted field is not closed on its line' });
      continue;
    }
    if (columns === null) {
      columns = known;
      if (cells[0]?.trim().toLowerCase() === 'user') {
        const header = headerOf(cells, known);
        if (typeof header === 'string') errors.push({ line, message: header });
        else columns = header;
        continue;
      }
    }
    if (cells.length > columns.length) {
      errors.push({ line, message: `${cells.length} fields, at most ${columns.length} expected (${columns.join(',')})` });
      continue;
    }
    const fields: CsvRecord<C>['fields'] = {};
    cells.forEach((c, k) => {
      const value = unmarked(c.trim());
      if (value !== '') fields[columns![k]!] = value;
    });
    records.push({ line, fields });
  }
  return { records, errors };
}

/** The columns a header names, or why it cannot be used. */
function headerOf<C extends string>(cells: string[], known: readonly C[]): C[] | string {
  const names = cells.map((c) => c.trim().toLowerCase());
  const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
  if (unknown.length) return `unknown column ${JSON.stringify(unknown[0]!.slice(0, 20))} in the header (known: ${known.join(', ')})`;
  if (new Set(names).size !== names.length) return 'a column is named twice in the header';
  return names as C[];
}

/** Comma-separated fields, "quoted" ones with "" for a quote; null when a quote is left open. */
function splitFields(line: string): string[] | null {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) return null;
  out.push(cur);
  return out;
}

/**
 * What a spreadsheet opening the file takes for the start of a formula, and
 * runs (OWASP, CSV injection): a user ID such as +1+1 or @SUM(...). A field
 * starting so is written after a ', which makes it text; so is one starting
 * with a ' of its own, so that taking one ' away on import restores every
 * field exactly.
 */
const FORMULA_START = /^[=+\-@\t\r']/;
const TEXT_MARK = "'";

/** One CSV field as an export writes it: marked as text where it must be, quoted only when it must be. */
export function csvField(value: string): string {
  const text = FORMULA_START.test(value) ? `${TEXT_MARK}${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The field without the one leading ' csvField may have put there. */
function unmarked(field: string): string {
  return field.startsWith(TEXT_MARK) ? field.slice(TEXT_MARK.length) : field;
}
