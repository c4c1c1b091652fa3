// Reads Asterisk-style configuration files: [sections], `key = value` or
// `key => value`, `;` comments (`\;` for a literal semicolon).
import { readFileSync } from 'node:fs';
import { errorMessage } from '../text/error-message.js';

/** A value with the line it came from, so every message about it can point there. */
interface ConfEntry {
  value: string;
  line: number;
}

export type ConfSection = Map<string, ConfEntry>;

export interface ConfFile {
  path: string;
  sections: Map<string, ConfSection>;
  /** The line of each section's first [header]. */
  sectionLines: Map<string, number>;
  /** Lines we could not read, as `path:line: message`; callers decide whether they are fatal. */
  problems: string[];
}

export function parseConf(text: string, path = '<config>'): ConfFile {
  const sections = new Map<string, ConfSection>();
  const sectionLines = new Map<string, number>();
  const problems: string[] = [];
  let current: ConfSection | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const where = `${path}:${i + 1}`;
    const header = /^\[([^\]]+)\](\(.*\))?$/.exec(line);
    if (header) {
      const name = header[1]!.trim().toLowerCase();
      // Asterisk's templates, [name](!) and [name](base), would be read as plain sections: a profile silently missing its base's settings.
      if (header[2])
        problems.push(
          `${path}:${i + 1}: [${name}]${header[2].slice(0, 32)}: templates and inheritance are not supported; write each section in full`,
        );
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      if (!sectionLines.has(name)) sectionLines.set(name, i + 1);
      return;
    }
    if (line.startsWith('#')) {
      problems.push(`${where}: directives such as ${line.split(/\s/)[0]} are not supported`);
      return;
    }
    const m = /^([^=]+?)\s*=>?\s*(.*)$/.exec(line);
    if (!m) return void problems.push(`${where}: expected "key = value"`);
    if (!current) return void problems.push(`${where}: "${m[1]}" is outside any [section]`);
    const key = m[1]!.trim().toLowerCase();
    // A repeated key would silently win over the first: say which one the admin meant is unclear.
    const first = (current as ConfSection).get(key);
    if (first) return void problems.push(`${where}: key "${key}" is already set on line ${first.line}`);
    (current as ConfSection).set(key, { value: m[2]!.trim(), line: i + 1 });
  });
  return { path, sections, sectionLines, problems };
}

/**
 * `keep` decides, by section name (null: the lines before the first
 * header), which lines are read: the others are blanked before parsing,
 * keeping line numbers, so that a problem inside a section some other part
 * of astotp reads (a key set twice, a line that is no setting) is that part's
 * problem alone.
 */
export function readConf(path: string, keep?: (section: string | null) => boolean): ConfFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  return parseConf(keep ? onlySections(text, keep) : text, path);
}

function onlySections(text: string, keep: (section: string | null) => boolean): string {
  let kept = keep(null);
  return text
    .split('\n')
    .map((raw) => {
      const header = /^\s*\[([^\]]+)\]/.exec(stripComment(raw));
      if (header) kept = keep(header[1]!.trim().toLowerCase());
      return kept ? raw : '';
    })
    .join('\n');
}

function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === ';') {
      out += ';';
      i++;
    } else if (c === ';') break;
    else out += c;
  }
  return out;
}
