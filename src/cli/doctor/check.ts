// One line of doctor's report.
export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Check {
  check: string;
  status: Status;
  message: string;
}

export const pass = (check: string, message: string): Check => ({ check, status: 'PASS', message });
export const warn = (check: string, message: string): Check => ({ check, status: 'WARN', message });
export const fail = (check: string, message: string): Check => ({ check, status: 'FAIL', message });

export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}
