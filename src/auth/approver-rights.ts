// What an approver may approve: logins of the device groups the role names,
// on hosts matching its patterns (none: every host). A group is named
// exactly, case and all (the response is bound to the login's exact
// bytes); a host pattern may hold * for any run of characters, so that
// "db-*" covers db-1 and db-eu-2. Names follow pbotp's rules (printable
// ASCII letters, digits and _ . @ -), so a comma can separate them.
import { checkLoginField, type LoginFields } from '../pbotp/login.js';
import type { RoleRow } from '../store/tables.js';
import { AuthError } from './errors.js';
import { errorMessage } from '../text/error-message.js';

export interface ApproverRights {
  groups: readonly string[];
  /** null: every host. */
  hosts: readonly string[] | null;
}

const HOST_PATTERN = /^[A-Za-z0-9_.@*-]{1,255}$/;

/** "pbx,ssh" (or repeated options joined): the groups, each checked, none twice. */
export function parseGroups(text: string): string[] {
  const groups = [...new Set(text.split(',').map((g) => g.trim()))];
  if (groups.length === 0 || groups.includes('')) throw new AuthError('give the groups as NAME[,NAME...]', 'bad-groups');
  for (const g of groups) {
    try {
      checkLoginField('group', g);
    } catch (err) {
      throw new AuthError(`group "${g}": ${errorMessage(err)}`, 'bad-groups');
    }
  }
  return groups;
}

/** "db-*,web1" as host patterns. */
export function parseHostPatterns(text: string): string[] {
  const hosts = [...new Set(text.split(',').map((h) => h.trim()))];
  if (hosts.length === 0 || hosts.some((h) => !HOST_PATTERN.test(h) || h === '.' || h === '..'))
    throw new AuthError('give host patterns as PATTERN[,PATTERN...] of letters, digits, _ . @ - and * for any characters', 'bad-hosts');
  return hosts;
}

export function rightsOf(role: RoleRow): ApproverRights {
  return { groups: role.group_names.split(','), hosts: role.host_patterns === null ? null : role.host_patterns.split(',') };
}

/**
 * Whether `host` matches the pattern, * being any run of characters. No
 * RegExp: one that backtracks would let a host of 255 characters stall the
 * console's one thread for minutes. Between the anchored first and last
 * parts, each part is found leftmost after the one before: if any placement
 * fits, that one does, so the match takes at most pattern × host steps.
 */
function hostMatches(pattern: string, host: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === host;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (host.length < first.length + last.length || !host.startsWith(first) || !host.endsWith(last)) return false;
  const end = host.length - last.length;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = host.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

/** Whether the rights cover the login: its group named, its host matched. */
export function mayApprove(rights: ApproverRights, login: LoginFields): boolean {
  if (!rights.groups.includes(login.group)) return false;
  return rights.hosts === null || rights.hosts.some((p) => hostMatches(p, login.host));
}

/** "groups pbx, ssh; hosts db-*": how the rights are shown. */
export function describeRights(rights: ApproverRights): string {
  return `groups ${rights.groups.join(', ')}; ${rights.hosts === null ? 'every host' : `hosts ${rights.hosts.join(', ')}`}`;
}
