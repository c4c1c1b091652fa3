// doctor --pam-config FILE (by default /etc/pbotp/pam.conf when it exists):
// what the PAM steps of "pbotp for PAM logins" will find, read by their own
// rules. The [pbotp-pam] section of FILE (the file and every directory above
// it root's and closed to others, no unknown key), its public key and
// baseurl, each pam_exec line of /etc/pam.d that names FILE read as a login
// reads it, the state directories those lines use (root's, 0700), and
// Linux-PAM's version against the quiet_log option of the steps' lines.
// Run as root, before doctor becomes the database owner: the steps run as root.
import { existsSync, lstatSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkStateDirStats } from '../../pam/challenge-state.js';
import {
  DEFAULT_STATE_DIR,
  pamPublicKey,
  readPamParams,
  readPamSection,
  type SectionParams,
  stateDirOnLine,
} from '../../pam/parameters.js';
import { checkAncestors } from '../../pam/trusted-paths.js';
import { formatKey } from '../../pbotp/keys.js';
import { checkBaseUrl } from '../../pbotp/url.js';
import { errorText, fail, pass, warn, type Check } from './check.js';
import { linuxPamVersion, PAM_SERVICE_DIR, pbotpStepLines, versionAtLeast, type StepLine } from './linux-pam.js';

const DEFAULT_PAM_CONFIG = '/etc/pbotp/pam.conf';
/** pam_exec takes quiet_log from Linux-PAM 1.5.2 on; older ones take it for the program's name. */
const QUIET_LOG_SINCE = [1, 5, 2] as const;

/** The checks; none when no FILE is given and the default does not exist. */
export function checkPamConfig(file: string | undefined): Check[] {
  const path = file ?? (existsSync(DEFAULT_PAM_CONFIG) ? DEFAULT_PAM_CONFIG : undefined);
  if (path === undefined) return [];
  const lines = pbotpStepLines();
  const ours = lines.filter((l) => l.params.some((p) => p.startsWith('config=') && resolve(p.slice('config='.length)) === resolve(path)));
  return [...sectionChecks(path), ...lineChecks(path, ours), ...stateDirChecks(ours), quietLogCheck(lines)];
}

function sectionChecks(path: string): Check[] {
  let section: SectionParams | null;
  try {
    section = readPamSection(path);
  } catch (err) {
    return [fail('pam', `file: ${errorText(err)}`)];
  }
  if (section === null) return [fail('pam', `file ${path} does not exist`)];
  const checks = [
    section.size === 0
      ? warn('pam', `file ${path} has no [pbotp-pam] keys: every parameter must be on the pam_exec lines`)
      : pass('pam', `file ${path}: [pbotp-pam] read as the PAM steps read it (root's, closed to others)`),
  ];
  const value = (key: string) => section.get(key)?.value;
  const elsewhere = `in ${path}: the pam_exec lines must set it`;

  const pubText = value('pubkey');
  const pubFile = value('pubkey_file');
  if (pubText === undefined && pubFile === undefined) checks.push(warn('pam', `public key: neither pubkey nor pubkey_file ${elsewhere}`));
  else {
    try {
      const key = formatKey(pamPublicKey(pubText, pubFile));
      checks.push(pass('pam', `public key: the authority's ${key}${pubFile === undefined ? '' : ` (from ${pubFile})`}`));
    } catch (err) {
      checks.push(fail('pam', `public key: ${errorText(err)} (every login would fail)`));
    }
  }

  const base = value('baseurl');
  if (base === undefined) checks.push(warn('pam', `baseurl not set ${elsewhere}`));
  else {
    try {
      const url = checkBaseUrl(base);
      checks.push(
        url.startsWith('http:')
          ? warn('pam', `baseurl ${url} is plain http: put the responder behind TLS`)
          : pass('pam', `baseurl: challenge URLs below ${url}`),
      );
    } catch (err) {
      checks.push(fail('pam', `baseurl: ${errorText(err)} (every login would fail)`));
    }
  }
  return checks;
}

/** Each service line that names the file, read as a login through it reads it. */
function lineChecks(path: string, ours: StepLine[]): Check[] {
  if (ours.length === 0) return [warn('pam', `lines: no pam_exec line in ${PAM_SERVICE_DIR} runs a pbotp step with config=${path}`)];
  return ours.map((line) => {
    try {
      const p = readPamParams(line.params);
      const answer = p.mode.kind === 'code' ? `${p.mode.digits}-digit codes` : `${p.mode.words}-word phrases`;
      return pass('pam', `line ${line.where}: group ${p.group}, host ${p.host}, ${answer}, QR ${p.qr}`);
    } catch (err) {
      return fail('pam', `line ${line.where}: ${errorText(err)} (every login through it would fail)`);
    }
  });
}

/** The state directories the lines use (the default without lines), as root must find them. */
function stateDirChecks(ours: StepLine[]): Check[] {
  const dirs = ours.length === 0 ? [DEFAULT_STATE_DIR] : [...new Set(ours.map((line) => stateDirOnLine(line.params)))];
  return dirs.map((dir) => {
    try {
      if (!existsSync(dir)) {
        checkAncestors(dir, 'state directory');
        return pass('pam', `state directory ${dir} does not exist yet; the first login makes it (root's, 0700)`);
      }
      checkAncestors(dir, 'state directory');
      checkStateDirStats(dir, lstatSync(dir), 0);
      return pass('pam', `state directory ${dir}: root's, 0700`);
    } catch (err) {
      return fail('pam', `${errorText(err)} (every login would fail)`);
    }
  });
}

function quietLogCheck(lines: StepLine[]): Check {
  const found = linuxPamVersion();
  const since = QUIET_LOG_SINCE.join('.');
  if (found === null)
    return warn('pam', `cannot tell Linux-PAM's version (neither dpkg-query nor rpm knows it): quiet_log needs ${since} or later`);
  const { version, from } = found;
  if (versionAtLeast(version, QUIET_LOG_SINCE)) return pass('pam', `Linux-PAM ${version} (${from}): pam_exec takes quiet_log`);
  const quiet = lines.filter((l) => l.quietLog);
  if (quiet.length === 0) return pass('pam', `Linux-PAM ${version} (${from}), older than ${since}: no pbotp line carries quiet_log`);
  return fail(
    'pam',
    `Linux-PAM ${version} (${from}) is older than ${since}: its pam_exec takes quiet_log for the program's name and every login fails; remove it from ${quiet.map((l) => l.where).join(', ')}`,
  );
}
