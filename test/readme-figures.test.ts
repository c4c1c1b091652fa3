// The README's guessing odds, recomputed from the defaults: a figure that
// flatters the lockout is a security claim, so it must follow the code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockMinutes } from '../src/auth/lockout.js';
import { defaults } from '../src/config/settings.js';
import { stalledCallMs } from '../src/store/postgres/timeouts.js';
import { REPO_ROOT } from './helpers/asterisk-peer.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');

/** 1 − (1 − p)^n: at least one of n guesses hits. */
const odds = (p: number, n: number) => 1 - (1 - p) ** n;
const threeDigits = (x: number) => Number(x.toPrecision(3)).toLocaleString('en-US');
/** 6.0·10⁻⁵ for 0.00006 with one decimal, as the README writes small numbers. */
function sci(x: number, decimals = 0): string {
  const [m, e] = x.toExponential(decimals).split('e');
  return `${m}·10⁻${String(-Number(e)).replace(/\d/g, (d) => '⁰¹²³⁴⁵⁶⁷⁸⁹'[Number(d)]!)}`;
}

describe("the README's security model", () => {
  it('gives the odds of guessing a code under the default lockout', () => {
    const s = defaults({});
    const perHour = (s.lockoutFailures * 60) / s.lockoutMinutes;
    const perGuess = (2 * s.window + 1) / 10 ** s.digits;
    expect(readme).toContain(`gets at most ${s.lockoutFailures} guesses per ${s.lockoutMinutes} minutes, ${perHour} an hour`);
    expect(readme).toContain(`out of 10⁶: ${sci(perGuess)}.`);
    const hour = odds(perGuess, perHour);
    expect(readme).toContain(`≈ ${sci(hour, 1)} an hour (1 in ${threeDigits(1 / hour)})`);
    const day = odds(perGuess, perHour * 24);
    expect(readme).toContain(`${sci(day, 1)} a day (${(perHour * 24).toLocaleString('en-US')} guesses, 1 in ${threeDigits(1 / day)})`);
    const year = perHour * 24 * 365;
    expect(readme).toContain(`${Math.round(100 * odds(perGuess, year))} % a year (${year.toLocaleString('en-US')} guesses)`);
    const withPin = odds(perGuess * 1e-4, year);
    expect(readme).toContain(`a guess hits with ${sci(perGuess * 1e-4)}: about ${sci(withPin)} a year`);
  });
});

describe("the README's bound for good", () => {
  it('gives the guesses a PIN-knower gets in all, the least time they take, and their odds, as the lockout rules work them out', () => {
    const s = defaults({});
    const rules = { lockoutFailures: s.lockoutFailures, lockoutMinutes: s.lockoutMinutes, lockoutMaxMinutes: s.lockoutMaxMinutes };
    // Every guess is a failure with the right PIN; each lock on the way is one level further into the streak.
    const locks = Math.floor((s.lockoutMaxFailures - 1) / s.lockoutFailures);
    const minutes = Array.from({ length: locks }, (_, level) => lockMinutes(level, rules)).reduce((a, b) => a + b, 0);
    const perGuess = (2 * s.window + 1) / 10 ** s.digits;
    expect(readme).toContain(
      `gets ${s.lockoutMaxFailures} guesses in all, spread by the escalating locks over at least ${(minutes / 1440).toFixed(1)} days`,
    );
    expect(readme).toContain(`1 − (1 − 3·10⁻⁶)¹⁰⁰ ≈ ${sci(odds(perGuess, s.lockoutMaxFailures), 1)}, ever`);
    expect(readme).toContain(`\`lockout_max_failures\` (${s.lockoutMaxFailures}, the cap of NIST SP 800-63B`);
    expect(readme).toContain(`up to \`lockout_max_minutes\` (${s.lockoutMaxMinutes})`);
  });
});

describe("the README's PostgreSQL faults", () => {
  it('states the bound for a backend that stops answering mid-call as the code works it out', () => {
    const s = defaults({});
    const bound = stalledCallMs({ lockMs: s.dbTimeoutMs, connectMs: s.dbConnectTimeoutMs });
    expect(readme).toContain(`at most \`db_timeout\` + 2 × \`db_connect_timeout\` (${bound / 1000} s with the defaults)`);
  });
});
