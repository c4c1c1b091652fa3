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

/**
 * Whether `expr` is a ${FILTER(set,...)} whose output cannot add or change an
 * argument: its set, expanded as Asterisk expands it, holds none of `,&=|?`
 * and no control character. A set doctor cannot read counts as unsafe.
 */
export function safeFilter(expr: string): boolean {
  // Asterisk's function names are case-sensitive: ${filter(...)} is no FILTER.
  if (!expr.startsWith('${FILTER(') || !expr.endsWith('}')) return false;
  const inner = expr.slice(2, -1);
  // The function's arguments end at the last ")", whatever comes between.
  const close = inner.lastIndexOf(')');
  if (close < 0) return false;
  const fields = splitArgs(inner.slice('FILTER('.length, close), false, 2);
  if (fields.length < 2 || substitutes(fields[0]!)) return false;
  const set = filterSet(Buffer.from(fields[0]!, 'utf8'));
  return set !== null && ![...set].some((b) => b < 0x20 || b === 0x7f || ',&=|?'.includes(String.fromCharCode(b)));
}

/** The bytes FILTER lets through for `spec`: characters, ranges `a-z` (wrapping past 255), escapes `\,`, `\x2c`, `\054`, `\n`. Null where Asterisk errs. */
function filterSet(spec: Buffer): Set<number> | null {
  const set = new Set<number>();
  let i = 0;
  while (i < spec.length) {
    const first = encodedChar(spec, i);
    if (!first.ok) return null;
    i += first.consumed;
    if (spec[i] !== 0x2d) {
      set.add(first.value);
      continue;
    }
    // A range whose end cannot be read ends where it starts, as in Asterisk.
    const last = encodedChar(spec, i + 1);
    const to = last.ok ? last.value : first.value;
    i += last.consumed + 1;
    for (let b = first.value; b !== to; b = (b + 1) & 0xff) set.add(b);
    set.add(to);
  }
  // NUL ends a C string: FILTER never lets it through.
  set.delete(0);
  return set;
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
