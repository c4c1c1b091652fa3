// What import --pskc will do, worked out before anything is written: the
// vendor's file read (load-pskc.ts), the --assign CSV of serial,user lines
// matched against it, and every problem of both listed by file, key package
// and line, so one run shows all there is to fix.
import type { ImportedToken } from '../../auth/user-admin.js';
import { isUserId, USER_ID_RULE } from '../../auth/user-admin.js';
import { parseCsv } from './csv.js';
import { loadPskc } from './load-pskc.js';
import type { PskcKeys } from './pskc.js';

export interface PskcSource {
  name: string;
  text: string;
}

export async function planPskcImport(
  pskc: PskcSource,
  keys: PskcKeys,
  assign: PskcSource | null,
): Promise<{ tokens: ImportedToken[]; problems: string[] }> {
  const { parsePskc } = await loadPskc();
  const parsed = parsePskc(pskc.text, keys);
  const problems = parsed.problems.map((p) =>
    p.package === 0
      ? `${pskc.name}${p.line ? ` line ${p.line}` : ''}: ${p.message}`
      : `${pskc.name} key package ${p.package} (line ${p.line}): ${p.message}`,
  );
  const holders = assign === null ? new Map<string, string>() : assignments(assign, new Set(parsed.tokens.map((t) => t.serial)), problems);
  const tokens = parsed.tokens.map(({ package: n, line, ...t }) => ({
    ...t,
    user: holders.get(t.serial) ?? null,
    where: `${pskc.name} key package ${n} (line ${line})`,
  }));
  return { tokens, problems };
}

/** The serial,user lines: each serial of the PSKC file at most once, each user ID valid. */
function assignments(src: PskcSource, serials: Set<string>, problems: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const lineOf = new Map<string, number>();
  const { records, errors } = parseCsv(src.text, ['serial', 'user'] as const);
  for (const e of errors) problems.push(`${src.name} line ${e.line}: ${e.message}`);
  records.forEach((r, i) => {
    const { serial, user } = r.fields;
    if (i === 0 && serial?.trim().toLowerCase() === 'serial' && user?.trim().toLowerCase() === 'user') return;
    const at = `${src.name} line ${r.line}`;
    if (serial === undefined || user === undefined) return void problems.push(`${at}: a line is serial,user`);
    if (!isUserId(user)) return void problems.push(`${at}: the user ID is not valid: use ${USER_ID_RULE}`);
    if (!serials.has(serial)) return void problems.push(`${at}: serial ${serial.slice(0, 70)} is not in the PSKC file`);
    const earlier = lineOf.get(serial);
    if (earlier !== undefined) return void problems.push(`${at}: serial ${serial} is also on line ${earlier}`);
    lineOf.set(serial, r.line);
    out.set(serial, user);
  });
  return out;
}
