// Doctor's reading of the dialplan: every line that runs astotp, and whether
// it hands caller-controlled text to it. Asterisk substitutes ${...} before
// it splits the arguments, so `user=${CALLERID(num)}` lets a caller whose
// number holds a comma add arguments of its own. The files are only read:
// #exec is never run, and #include is followed only to files we can read.
import { closeSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Settings } from '../../config/settings.js';
import { pass, warn, type Check } from './check.js';

const MAX_INCLUDE_DEPTH = 8;
const MAX_FILES = 200;

export interface AstotpLine {
  file: string;
  line: number;
  /** The application's argument text as written, e.g. `otp/astotp,profile=door`. */
  args: string;
}

/** The AGI(...) lines of extensions.conf and its includes that run astotp, classic or FastAGI. */
export function findAstotpLines(configDir: string): { lines: AstotpLine[]; files: string[]; skipped: string[] } | null {
  const root = join(configDir, 'extensions.conf');
  if (!readable(root)) return null;
  const seen = new Set<string>();
  const files: string[] = [];
  const skipped: string[] = [];
  const lines: AstotpLine[] = [];
  const visit = (path: string, depth: number): void => {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return void skipped.push(path);
    }
    if (seen.has(real) || files.length >= MAX_FILES) return;
    seen.add(real);
    files.push(path);
    const text = readFileSync(real, 'utf8');
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = stripComment(raw).trim();
      const directive = /^#(include|tryinclude|exec|tryexec)\s+"?([^"]+?)"?\s*$/i.exec(line);
      if (directive) {
        const [, what, target] = directive;
        if (/exec$/i.test(what!)) return void skipped.push(`${path}:${i + 1} (#${what} is not run)`);
        if (depth >= MAX_INCLUDE_DEPTH) return void skipped.push(`${path}:${i + 1} (includes nested too deep)`);
        for (const f of expand(isAbsolute(target!) ? target! : join(configDir, target!))) {
          if (readable(f)) visit(f, depth + 1);
          else skipped.push(f);
        }
        return;
      }
      for (const args of agiCalls(line)) if (runsAstotp(args)) lines.push({ file: path, line: i + 1, args });
    });
  };
  visit(root, 0);
  return { lines, files, skipped };
}

/** Expressions in `text` that put data into the argument list unfiltered: ${...} and $[...]. */
export function unfilteredExpressions(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || (text[i + 1] !== '{' && text[i + 1] !== '[')) continue;
    const end = closing(text, i + 1);
    const expr = text.slice(i, end + 1);
    if (!safeFilter(expr)) found.push(expr);
    i = end;
  }
  return found;
}

export function checkDialplan(configDir: string, s: Settings): Check[] {
  let found;
  try {
    found = findAstotpLines(configDir);
  } catch (err) {
    return [warn('dialplan', `cannot read the dialplan in ${configDir}: ${(err as Error).message}`)];
  }
  if (!found) return [warn('dialplan', `not checked: no readable extensions.conf in ${configDir} (AEL, Lua and realtime dialplans are not read)`)];
  const checks: Check[] = [];
  for (const l of found.lines) {
    const where = `${l.file}:${l.line}`;
    const exprs = unfilteredExpressions(l.args);
    if (exprs.length) {
      checks.push(
        warn(
          'dialplan',
          `${where}: ${shown(exprs.join(' '))} goes into astotp's arguments unfiltered; a caller can put "," or "&" in it and add arguments of its own. ` +
            'Use user=callerid (astotp reads and checks the caller ID itself) or ${FILTER(0-9,...)}',
        ),
      );
    }
    const oneFactor = oneFactorProfile(l.args, s);
    if (oneFactor) checks.push(warn('dialplan', `${where}: ${oneFactor}`));
  }
  for (const p of oneFactorProfiles(s)) checks.push(warn('profile', p));
  if (!checks.length) {
    const skipped = found.skipped.length ? `; not read: ${shown(found.skipped.join(', '))}` : '';
    checks.push(pass('dialplan', `${found.lines.length} line${found.lines.length === 1 ? '' : 's'} run astotp in ${found.files.length} file${found.files.length === 1 ? '' : 's'}, none with caller data in its arguments${skipped}`));
  }
  return checks;
}

/** A profile that asks no PIN and takes the user from the caller ID is one factor: the caller ID is no proof. */
function oneFactorProfiles(s: Settings): string[] {
  const out: string[] = [];
  const general = !s.askPin && s.user.from === 'callerid';
  if (general) out.push('[general] asks no PIN and takes the user from the caller ID: one factor only, since a caller ID is no authentication');
  for (const p of s.profiles.values()) {
    const keys = new Map(p.entries.map(([k, v]) => [k, v]));
    const askPin = keys.has('ask_pin') ? !/^(no|false|off|0)$/i.test(keys.get('ask_pin')!) : s.askPin;
    const fromCallerId = keys.has('user') ? /^callerid$/i.test(keys.get('user')!) : s.user.from === 'callerid';
    if (!askPin && fromCallerId) out.push(`[${p.name}] asks no PIN and takes the user from the caller ID: one factor only, since a caller ID is no authentication`);
  }
  return out;
}

/** A dialplan line whose user comes from the caller ID, run with a profile (or [general]) that asks no PIN. */
function oneFactorProfile(args: string, s: Settings): string | null {
  const parts = args.split(/[,?&]/).map((p) => p.trim());
  const user = parts.find((p) => /^user=/i.test(p));
  if (!user || !/callerid/i.test(user)) return null;
  const profile = /^profile=(.+)$/i.exec(parts[1] ?? '')?.[1];
  const p = profile ? s.profiles.get(profile.toLowerCase()) : undefined;
  const askPin = p?.entries.find(([k]) => k === 'ask_pin')?.[1];
  const noPin = askPin !== undefined ? /^(no|false|off|0)$/i.test(askPin) : !s.askPin;
  return noPin ? `takes the user from the caller ID and ${p ? `profile ${p.name}` : '[general]'} asks no PIN: one factor only, since a caller ID is no authentication` : null;
}

/** The argument text of each AGI(...) or EAGI(...) on a dialplan line. */
function agiCalls(line: string): string[] {
  const out: string[] = [];
  const re = /\bE?AGI\s*\(/gi;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const open = m.index + m[0].length - 1;
    const end = closing(line, open);
    out.push(line.slice(open + 1, end));
    re.lastIndex = end;
  }
  return out;
}

function runsAstotp(args: string): boolean {
  const script = args.split(',')[0]!.trim();
  return /(^|\/)astotp$/.test(script) || /^agi:\/\/[^/]+\/(otp|otp\/astotp)\/?(\?|$)/i.test(script);
}

/** Index of the bracket closing the one at `open`, counting nesting; the end of text if none. */
function closing(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (pairs[c]) stack.push(pairs[c]!);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (!stack.length) return i;
    }
  }
  return text.length - 1;
}

/** ${FILTER(set,...)} whose set lets no argument syntax through: digits, letters, ranges of them, +. */
function safeFilter(expr: string): boolean {
  const m = /^\$\{FILTER\(([^,]*),/i.exec(expr);
  return m !== null && /^[0-9A-Za-z+-]+$/.test(m[1]!) && !/[,&=|]/.test(m[1]!.replace(/[0-9A-Za-z]-[0-9A-Za-z]/g, ''));
}

/** Asterisk's #include takes shell wildcards in the last path element. */
function expand(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return readdirSync(dirname(path)).filter((f) => re.test(f)).sort().map((f) => join(dirname(path), f));
  } catch {
    return [];
  }
}

function readable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    closeSync(openSync(path, 'r'));
    return true;
  } catch {
    return false;
  }
}

function stripComment(line: string): string {
  const i = line.search(/(?<!\\);/);
  return i < 0 ? line : line.slice(0, i);
}

/** The admin's own dialplan text, on one line and not too long. */
function shown(text: string): string {
  const t = text.replace(/[^\x20-\x7e]/g, '?');
  return t.length > 160 ? `${t.slice(0, 157)}...` : t;
}
