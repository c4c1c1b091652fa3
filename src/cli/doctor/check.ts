// One line of doctor's report, and what every check is given to look at.
import type { Settings } from '../../config/settings.js';
import type { ParsedArgs } from '../args.js';
import type { OpenedDatabase } from './files.js';
import { errorMessage } from '../../text/error-message.js';

type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Check {
  check: string;
  status: Status;
  message: string;
}

export const pass = (check: string, message: string): Check => ({ check, status: 'PASS', message });
export const warn = (check: string, message: string): Check => ({ check, status: 'WARN', message });
export const fail = (check: string, message: string): Check => ({ check, status: 'FAIL', message });

export function errorText(err: unknown): string {
  return errorMessage(err).replace(/\s+/g, ' ');
}

/** The site as doctor sees it, shared by every check. */
export interface DoctorSite {
  settings: Settings;
  /** false when astotp.conf has errors: settings are then the defaults (with --db, --key). */
  configLoaded: boolean;
  env: NodeJS.ProcessEnv;
  /** doctor's own command line, for checks with options of their own. */
  args: ParsedArgs;
  /** Whom the files are checked as: the user Asterisk runs as once doctor acts as it, else whoever runs doctor. */
  user: string;
  /** The database, opened once for every check that looks into it. */
  database(): Promise<OpenedDatabase>;
}

/** One check: its name labels the FAIL line of an error it did not expect. */
export interface DoctorCheck<Site extends DoctorSite = DoctorSite> {
  check: string;
  run(site: Site): Check[] | Promise<Check[]>;
}

/**
 * Runs every check in order, each on its own: one that fails, or throws,
 * hides none of the others.
 */
export async function runChecks<Site extends DoctorSite>(site: Site, checks: readonly DoctorCheck<Site>[]): Promise<Check[]> {
  const out: Check[] = [];
  for (const c of checks) {
    try {
      out.push(...(await c.run(site)));
    } catch (err) {
      out.push(fail(c.check, errorText(err)));
    }
  }
  return out;
}
