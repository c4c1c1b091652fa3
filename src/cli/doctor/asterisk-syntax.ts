// How Asterisk reads an application's data, as far as doctor needs it to tell
// whether caller data can reach astotp's argument list: where ${...} and
// $[...] end (main/pbx_variables.c), how arguments split
// (__ast_app_separate_args, main/app.c) and which bytes ${FILTER(...)} lets
// through (filter() in funcs/func_strings.c). Each follows Asterisk's rules
// rather than what the text seems to say: any difference is a missed warning.

/** The ${...} and $[...] expressions of `text`, outermost only, in order. */
export function expressions(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || (text[i + 1] !== '{' && text[i + 1] !== '[')) continue;
    const end = expressionEnd(text, i);
    found.push(text.slice(i, end));
    i = end - 1;
  }
  return found;
}

/** Whether `text` holds a ${...} or $[...] that Asterisk substitutes. */
export function substitutes(text: string): boolean {
  return /\$[{[]/.test(text);
}

/**
 * Index just past the expression opened at `start`. ${...} counts braces and
 * $[...] brackets, and nothing else: a `(` or `[` inside ${...} is plain text.
 * An expression left open runs to the end, as in Asterisk.
 */
function expressionEnd(text: string, start: number): number {
  const [open, close, other] = text[start + 1] === '{' ? ['{', '}', '['] : ['[', ']', '{'];
  let depth = 1;
  let i = start + 2;
  for (; depth && i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === open) {
      depth++;
      i++;
    } else if (text[i] === open) depth++;
    else if (text[i] === close) depth--;
    else if (text[i] === '$' && text[i + 1] === other) i++;
  }
  return i;
}

/**
 * Splits application data on the commas Asterisk splits it on: not inside
 * (), [] or "", nor after a backslash. `unquote` drops the quotes and
 * backslashes, as applications' arguments do (FILTER keeps them).
 * At most `limit` fields; the last takes the rest.
 */
export function splitArgs(text: string, unquote: boolean, limit = Infinity): string[] {
  const fields: string[] = [];
  let field = '';
  let paren = 0;
  let bracket = 0;
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(') paren++;
    else if (c === ')') paren = Math.max(0, paren - 1);
    else if (c === '[') bracket++;
    else if (c === ']') bracket = Math.max(0, bracket - 1);
    else if (c === '"') {
      quote = !quote;
      if (unquote) continue;
    } else if (c === '\\') {
      if (!unquote) field += c;
      i++;
      field += text[i] ?? '';
      continue;
    } else if (c === ',' && !paren && !bracket && !quote && fields.length < limit - 1) {
      fields.push(field);
      field = '';
      continue;
    }
    field += c;
  }
  fields.push(field);
  return fields;
}

/** Characters that would let FILTER's output add or change an argument: `,&=|?` and control characters. */
const ARGUMENT_SYNTAX = (b: number): boolean => b < 0x20 || b === 0x7f || ',&=|?'.includes(String.fromCharCode(b));

/**
 * How far `expr` keeps caller data out of astotp's argument syntax: not at
 * all (it is no ${FILTER(set,...)}), or a FILTER whose set, expanded as
 * Asterisk expands it, holds none of `,&=|?` and no control character
 * (safe), or one that lets some through, with why. A set doctor cannot read
 * counts as letting everything through.
 */
export function filterVerdict(expr: string): { kind: 'unfiltered' } | { kind: 'safe' } | { kind: 'leaks'; why: string } {
  // Asterisk's function names are case-sensitive: ${filter(...)} is no FILTER.
  if (!expr.startsWith('${FILTER(') || !expr.endsWith('}')) return { kind: 'unfiltered' };
  const inner = expr.slice(2, -1);
  // The function's arguments end at the last ")", whatever comes between.
  const close = inner.lastIndexOf(')');
  if (close < 0) return { kind: 'unfiltered' };
  const fields = splitArgs(inner.slice('FILTER('.length, close), false, 2);
  if (fields.length < 2) return { kind: 'unfiltered' };
  const spec = fields[0]!;
  if (substitutes(spec))
    return { kind: 'leaks', why: `its set ${spec} is substituted when the call runs, so doctor cannot tell what it holds` };
  const parts = filterSet(Buffer.from(spec, 'utf8'));
  if (parts === null) return { kind: 'leaks', why: `Asterisk cannot read its set ${spec}, so doctor cannot tell what it lets through` };
  const leaking = parts.map((p) => ({ ...p, bytes: p.bytes.filter(ARGUMENT_SYNTAX) })).filter((p) => p.bytes.length > 0);
  if (leaking.length === 0) return { kind: 'safe' };
  const said = leaking.map((p) => {
    const chars = charList(p.bytes);
    if (p.range) return `the range ${p.text} holds ${chars}`;
    return p.text.startsWith('\\') ? `${p.text} is ${chars}` : `${chars} is in it`;
  });
  return { kind: 'leaks', why: `its set lets argument syntax through: ${said.join(', ')}` };
}

/** Bytes as an admin reads them: "," or \n, a few at most. */
function charList(bytes: number[]): string {
  // The argument syntax first, then control characters.
  const control = (b: number) => b < 0x20 || b === 0x7f;
  const unique = [...new Set(bytes)].sort((a, b) => Number(control(a)) - Number(control(b)) || a - b);
  const shown = unique
    .slice(0, 6)
    .map((b) => (b < 0x20 || b === 0x7f ? `\\x${b.toString(16).padStart(2, '0')}` : `"${String.fromCharCode(b)}"`));
  return unique.length > 6 ? `${shown.join(' ')} and ${unique.length - 6} more` : shown.join(' ');
}

/**
 * The parts of a FILTER set, each with the bytes it lets through: characters,
 * ranges `a-z` (wrapping past 255), escapes `\,`, `\x2c`, `\054`, `\n`.
 * Null where Asterisk errs.
 */
function filterSet(spec: Buffer): { text: string; range: boolean; bytes: number[] }[] | null {
  const parts: { text: string; range: boolean; bytes: number[] }[] = [];
  let i = 0;
  while (i < spec.length) {
    const start = i;
    const first = encodedChar(spec, i);
    if (!first.ok) return null;
    i += first.consumed;
    if (spec[i] !== 0x2d) {
      parts.push({ text: spec.toString('utf8', start, i), range: false, bytes: [first.value] });
      continue;
    }
    // A range whose end cannot be read ends where it starts, as in Asterisk.
    const last = encodedChar(spec, i + 1);
    const to = last.ok ? last.value : first.value;
    i += last.consumed + 1;
    const bytes: number[] = [];
    for (let b = first.value; b !== to; b = (b + 1) & 0xff) bytes.push(b);
    bytes.push(to);
    parts.push({ text: spec.toString('utf8', start, Math.min(i, spec.length)), range: true, bytes });
  }
  // NUL ends a C string: FILTER never lets it through.
  for (const p of parts) p.bytes = p.bytes.filter((b) => b !== 0);
  return parts;
}

/** ast_get_encoded_char(): one byte of `s` at `i`, or an escape. */
function encodedChar(s: Buffer, i: number): { ok: boolean; value: number; consumed: number } {
  if (i >= s.length) return { ok: false, value: 0, consumed: 0 };
  if (s[i] !== 0x5c) return { ok: true, value: s[i]!, consumed: 1 };
  // A trailing backslash makes Asterisk read past the string's end: unknowable.
  if (i + 1 >= s.length) return { ok: false, value: 0, consumed: 2 };
  const next = String.fromCharCode(s[i + 1]!);
  const hex = (k: number): number => (i + k < s.length ? parseInt(String.fromCharCode(s[i + k]!), 16) : NaN);
  switch (next) {
    case 'n':
      return { ok: true, value: 0x0a, consumed: 2 };
    case 'r':
      return { ok: true, value: 0x0d, consumed: 2 };
    case 't':
      return { ok: true, value: 0x09, consumed: 2 };
    case 'x': {
      const high = hex(2);
      if (Number.isNaN(high)) return { ok: false, value: 0, consumed: 2 };
      const low = hex(3);
      return Number.isNaN(low) ? { ok: true, value: high, consumed: 3 } : { ok: true, value: (high << 4) | low, consumed: 4 };
    }
    case '0': {
      let value = 0;
      let k = 2;
      for (; i + k < s.length && s[i + k]! >= 0x30 && s[i + k]! <= 0x37; k++) value = ((value << 3) + s[i + k]! - 0x30) & 0xff;
      return { ok: true, value, consumed: k };
    }
    default:
      return { ok: true, value: s[i + 1]!, consumed: 2 };
  }
}
