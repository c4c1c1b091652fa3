// Doctor's reading of the dialplan: every line that runs astotp, and whether
// it hands caller-controlled text to it. Asterisk substitutes ${...} before
// it splits the arguments, so `user=${CALLERID(num)}` lets a caller whose
// number holds a comma add arguments of its own. The files are only read:
// #exec is never run, and #include is followed only to files we can read.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { applyCallArguments } from '../../config/call-args.js';
import { applyProfile, type Settings } from '../../config/settings.js';
import { SECRET_REFERENCE } from '../../fastagi/pbx-secret.js';
import { readRequest } from '../../fastagi/request.js';
import { expressions, filterVerdict, splitArgs, substitutes } from './asterisk-syntax.js';
import { counted } from '../format.js';
import { errorText, fail, pass, warn, type Check } from './check.js';
import { errorMessage } from '../../text/error-message.js';

const MAX_INCLUDE_DEPTH = 8;
const MAX_FILES = 200;

interface AstotpLine {
  file: string;
  line: number;
  /** The application's argument text as written, e.g. `otp/astotp,profile=door`. */
  args: string;
  /** `unknown`: a variable names the script, so it may be astotp. */
  script: 'astotp' | 'unknown';
}

/** The AGI(...) lines of extensions.conf and its includes that run astotp (or may), classic or FastAGI. */
function findAstotpLines(configDir: string): { lines: AstotpLine[]; files: string[]; skipped: string[] } | null {
  const root = join(configDir, 'extensions.conf');
  if (!readable(root)) return null;
  const seen = new Set<string>();
  const files: string[] = [];
  const skipped: string[] = [];
  const lines: AstotpLine[] = [];
  const visit = (path: string, depth: number): void => {
    let real: string;
    let text: string;
    try {
      real = realpathSync(path);
      if (seen.has(real)) return;
      if (files.length >= MAX_FILES) return void skipped.push(`${path} (more than ${MAX_FILES} files)`);
      text = readFileSync(real, 'utf8');
    } catch {
      return void skipped.push(path);
    }
    seen.add(real);
    files.push(path);
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = stripComment(raw).trim();
      const directive = /^#(include|tryinclude|exec|tryexec)\s+(.+)$/i.exec(line);
      if (directive) {
        const [, what, arg] = directive;
        if (/exec$/i.test(what!)) return void skipped.push(`${path}:${i + 1} (#${what} is not run)`);
        if (depth >= MAX_INCLUDE_DEPTH) return void skipped.push(`${path}:${i + 1} (includes nested too deep)`);
        const target = unquoteInclude(arg!);
        for (const f of expand(isAbsolute(target) ? target : join(configDir, target))) {
          if (readable(f)) visit(f, depth + 1);
          // A #tryinclude of a file that does not exist adds nothing to the dialplan.
          else if (!/^try/i.test(what!) || existsSync(f)) skipped.push(f);
        }
        return;
      }
      for (const args of agiCalls(line)) {
        const script = scriptKind(args);
        if (script) lines.push({ file: path, line: i + 1, args, script });
      }
    });
  };
  visit(root, 0);
  return { lines, files, skipped };
}

/**
 * What in `text` can put argument syntax into the argument list: the
 * expressions (${...}, $[...]) it holds unfiltered, and each FILTER that
 * lets some through, said with why, e.g. `${FILTER(+-9,...)} lets "," through
 * (...the range +-9 holds ",")`. Empty when nothing can.
 */
function argumentLeaks(text: string): string[] {
  const unfiltered: string[] = [];
  const leaky: string[] = [];
  for (const e of expressions(text)) {
    // The FastAGI secret is the admin's own global, read from a file no caller reaches.
    if (e === SECRET_REFERENCE) continue;
    const v = filterVerdict(e);
    if (v.kind === 'unfiltered') unfiltered.push(e);
    else if (v.kind === 'leaks') leaky.push(`${shown(e)} goes into astotp's arguments filtered, but ${v.why}`);
  }
  return [...(unfiltered.length ? [`${shown(unfiltered.join(' '))} goes into astotp's arguments unfiltered`] : []), ...leaky];
}

/**
 * `configLoaded` false: astotp.conf has errors and `s` holds the defaults,
 * so lines that name a profile are not judged (it may be in the broken file).
 */
export function checkDialplan(configDir: string, s: Settings, configLoaded = true): Check[] {
  let found: ReturnType<typeof findAstotpLines>;
  try {
    found = findAstotpLines(configDir);
  } catch (err) {
    return [warn('dialplan', `cannot read the dialplan in ${configDir}: ${errorMessage(err)}`)];
  }
  if (!found)
    return [warn('dialplan', `not checked: no readable extensions.conf in ${configDir} (AEL, Lua and realtime dialplans are not read)`)];
  const checks: Check[] = [];
  for (const l of found.lines) {
    const where = `${l.file}:${l.line}`;
    if (l.script === 'unknown') {
      checks.push(
        warn(
          'dialplan',
          `${where}: AGI(${shown(l.args)}) names its script through a variable, so doctor cannot tell whether it runs astotp; ` +
            'if it may, no caller data must reach that variable or the arguments',
        ),
      );
      continue;
    }
    const leaks = argumentLeaks(l.args);
    if (leaks.length) {
      checks.push(
        warn(
          'dialplan',
          `${where}: ${leaks.join('; ')}; a caller can put "," or "&" in it and add arguments of its own. ` +
            'Use user=callerid (astotp reads and checks the caller ID itself) or ${FILTER(0-9,...)}',
        ),
      );
    }
    const unsecured = noFastAgiSecret(l.args);
    if (unsecured) checks.push(warn('dialplan', `${where}: ${unsecured}`));
    const refused = refusedArguments(l.args, s, configLoaded);
    if (refused) checks.push(fail('dialplan', `${where}: AGI(${shown(l.args)}) fails every call: ${refused}`));
    const oneFactor = oneFactorProfile(l.args, s);
    if (oneFactor) checks.push(warn('dialplan', `${where}: ${oneFactor}`));
  }
  for (const p of oneFactorProfiles(s)) checks.push(warn('profile', p));
  const astotp = found.lines.filter((l) => l.script === 'astotp').length;
  if (!checks.length) {
    checks.push(
      pass(
        'dialplan',
        `${counted(astotp, 'line')} ${astotp === 1 ? 'runs' : 'run'} astotp in ${counted(found.files.length, 'file')}, none with caller data in its arguments`,
      ),
    );
  }
  // Whatever else was found: a file not read may hold the line that matters.
  if (found.skipped.length) checks.push(warn('dialplan', `not read, so not checked: ${found.skipped.map(shown).join(', ')}`));
  return checks;
}

/**
 * Why a call through this line is refused for its arguments alone, judged by
 * the rules the call itself applies (applyCallArguments; for FastAGI the
 * request as serve-agi reads it), or null. Where a variable supplies a value,
 * the value is taken to be one the call accepts: only what is written is
 * judged, and nothing where a variable may supply a key or the profile.
 */
function refusedArguments(args: string, s: Settings, configLoaded: boolean): string | null {
  const [script = '', ...rest] = splitArgs(args, true);
  let given = rest;
  const fastAgi = /^h?agi:\/\/[^/]*\/(.*)$/i.exec(script.trim());
  if (fastAgi) {
    const request = readRequest({ channel: '', uniqueId: '', callerId: '', args: rest, env: { agi_network_script: fastAgi[1]! } });
    // Another server's path, or a query a variable may have garbled: nothing astotp's to judge.
    if (!request.served || (request.problem && substitutes(fastAgi[1]!))) return null;
    if (request.problem) return request.problem;
    given = request.args;
  }
  const written: string[] = [];
  for (const arg of given) {
    if (!substitutes(arg)) {
      written.push(arg);
      continue;
    }
    const key = /^\s*([A-Za-z_]+)\s*=/.exec(arg)?.[1]?.toLowerCase();
    if (key === undefined || key === 'profile') return null;
    // Digits: the one kind of value user= takes that no variable can make wrong here.
    written.push(key === 'user' ? 'user=0' : `${key}=value`);
  }
  if (!configLoaded && written.some((a) => /^\s*profile\s*=/i.test(a))) return null;
  try {
    applyCallArguments(s, written);
    return null;
  } catch (err) {
    return errorText(err);
  }
}

/**
 * A FastAGI line whose path carries no secret: serve-agi either runs
 * without --secret-file (any local user can hold its call slots) or refuses
 * every such call. A secret written out in the file itself is not shown.
 */
function noFastAgiSecret(args: string): string | null {
  const [script = ''] = splitArgs(args, true);
  const fastAgi = /^h?agi:\/\/([^/]*)\/(.*)$/i.exec(script.trim());
  if (!fastAgi) return null;
  const request = readRequest({ channel: '', uniqueId: '', callerId: '', args: [], env: { agi_network_script: fastAgi[2]! } });
  if (!request.served || request.secret !== null) return null;
  return (
    `AGI(agi://${shown(fastAgi[1]!)}/${request.script}) passes no FastAGI secret: without one, any local user can connect ` +
    `from Asterisk's address and hold serve-agi's call slots; use agi://HOST/${request.script}/${SECRET_REFERENCE} ` +
    'with serve-agi --secret-file (astotp serve-agi --secret-file FILE --print-dialplan prints the lines)'
  );
}

/** A profile that asks no PIN and takes the user from the caller ID is one factor: the caller ID is no proof. */
function oneFactorProfiles(s: Settings): string[] {
  const out: string[] = [];
  const general = !s.askPin && s.user.from === 'callerid';
  if (general)
    out.push('[general] asks no PIN and takes the user from the caller ID: one factor only, since a caller ID is no authentication');
  for (const p of s.profiles.values()) {
    // The profile as a call would run it (its values were checked at load).
    const call = applyProfile(s, p);
    if (!call.askPin && call.user.from === 'callerid')
      out.push(`[${p.name}] asks no PIN and takes the user from the caller ID: one factor only, since a caller ID is no authentication`);
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
  const noPin = !(p ? applyProfile(s, p) : s).askPin;
  return noPin
    ? `takes the user from the caller ID and ${p ? `profile ${p.name}` : '[general]'} asks no PIN: one factor only, since a caller ID is no authentication`
    : null;
}

/**
 * The argument text of each AGI(...) or EAGI(...) on a dialplan line. Asterisk
 * takes an application's data up to the line's last ")", whatever the
 * brackets in between.
 */
function agiCalls(line: string): string[] {
  const end = line.lastIndexOf(')');
  return [...line.matchAll(/\bE?AGI\s*\(/gi)].map((m) => {
    const open = m.index + m[0].length;
    return line.slice(open, end >= open ? end : line.length);
  });
}

/**
 * Whether AGI data runs astotp: a script whose name starts with astotp, a
 * FastAGI path astotp serves (agi:// or hagi://), or arguments with astotp's
 * keys (a renamed script). `unknown` when a variable names the script.
 */
function scriptKind(args: string): AstotpLine['script'] | null {
  const [first = '', ...rest] = splitArgs(args, true);
  const script = first.trim();
  const fastAgi = /^h?agi:\/\/[^/]*\/([^?]*)(?:\?(.*))?$/i.exec(script);
  // otp/SECRET is astotp's path too, whatever supplies the secret.
  const named = fastAgi ? servedPath(fastAgi[1]!.toLowerCase()) : /(^|\/)astotp[^/]*$/i.test(script);
  const keys = [...rest, ...(fastAgi?.[2]?.split('&') ?? [])];
  if (named || keys.some((a) => /^\s*(user|profile)\s*=/i.test(a))) return 'astotp';
  // A FastAGI query names no script: only the host and path could be astotp's.
  return substitutes(fastAgi ? script.split('?')[0]! : script) ? 'unknown' : null;
}

/** Whether serve-agi answers this path, as it reads a request. */
function servedPath(path: string): boolean {
  return readRequest({ channel: '', uniqueId: '', callerId: '', args: [], env: { agi_network_script: path } }).served;
}

/** #include's file as Asterisk reads it: "file", <file> or bare. */
function unquoteInclude(arg: string): string {
  const m = /^"(.*)"$/.exec(arg) ?? /^<(.*)>$/.exec(arg);
  return m ? m[1]! : arg;
}

/** Asterisk's #include takes shell wildcards in the last path element. */
function expand(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const re = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  try {
    return readdirSync(dirname(path))
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dirname(path), f));
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
  // A FastAGI secret written out in the dialplan stays out of doctor's output; a ${...} that reads it may show.
  const t = text.replace(/[^\x20-\x7e]/g, '?').replace(/(h?agi:\/\/[^/]*\/otp(?:\/astotp)?\/)(?!\$)[^?,]*/gi, '$1...');
  return t.length > 160 ? `${t.slice(0, 157)}...` : t;
}
