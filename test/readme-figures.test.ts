// The README's guessing odds, recomputed from the defaults: a figure that
// flatters the lockout is a security claim, so it must follow the code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockMinutes } from '../src/auth/lockout.js';
import { MAX_TOKENS_PER_USER } from '../src/auth/tokens.js';
import { defaults, HOTP_WINDOW_MAX } from '../src/config/settings.js';
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
    // The most codes a guess can take, every token of the cap an HOTP fob: still bounded, for good.
    const most = (MAX_TOKENS_PER_USER * s.hotpWindow) / 10 ** s.digits;
    expect(readme).toContain(`${MAX_TOKENS_PER_USER} HOTP fobs 1 − (1 − ${sci(most, 1)})¹⁰⁰ ≈ ${sci(odds(most, s.lockoutMaxFailures), 1)}`);
  });
});

describe("the README's odds for a user with several tokens", () => {
  it('adds up the codes of every token, for an app and an HOTP fob and for the most a user may hold', () => {
    const s = defaults({});
    const perHour = (s.lockoutFailures * 60) / s.lockoutMinutes;
    const year = perHour * 24 * 365;
    const totpCodes = 2 * s.window + 1;
    expect(readme).toContain(`the \`hotp_window\` (${s.hotpWindow}) codes ahead of its counter`);
    const figures = (codes: number, decimals: number) => {
      const p = codes / 10 ** s.digits;
      const hour = odds(p, perHour);
      const day = odds(p, perHour * 24);
      return `${sci(p, decimals)}: ${sci(hour, 1)} an hour (1 in ${threeDigits(1 / hour)}), ${sci(day, 1)} a day (1 in ${threeDigits(1 / day)}) and ${Math.round(100 * odds(p, year))} % a year`;
    };
    const appAndFob = totpCodes + s.hotpWindow;
    expect(readme).toContain(`An app and an HOTP fob take ${appAndFob} codes a guess, ${figures(appAndFob, 0)}.`);
    // The worst a user can hold: the cap, every token an HOTP fob (each takes more codes than a TOTP token).
    expect(s.hotpWindow).toBeGreaterThan(totpCodes);
    const most = MAX_TOKENS_PER_USER * s.hotpWindow;
    expect(readme).toContain(`hold, ${MAX_TOKENS_PER_USER} tokens, all of them HOTP fobs, take ${most}, ${figures(most, 1)}.`);
    const withPin = (codes: number) => sci(odds((codes / 10 ** s.digits) * 1e-4, year), 1);
    expect(readme).toContain(`PIN to guess as well, ${withPin(appAndFob)} and ${withPin(most)} a year.`);
    expect(readme).toContain(`Hence the cap of ${MAX_TOKENS_PER_USER} tokens`);
    // A look-ahead of 10 alone would take more than 3 times one app's codes; the setting stops where README says.
    expect(10 / totpCodes).toBeGreaterThan(3);
    expect(readme).toContain(`\`hotp_window\` stops at ${HOTP_WINDOW_MAX}`);
  });
});

describe("the README's PostgreSQL faults", () => {
  it('states the bound for a backend that stops answering mid-call as the code works it out', () => {
    const s = defaults({});
    const bound = stalledCallMs({ lockMs: s.dbTimeoutMs, connectMs: s.dbConnectTimeoutMs });
    expect(readme).toContain(`at most \`db_timeout\` + 2 × \`db_connect_timeout\` (${bound / 1000} s with the defaults)`);
  });
});
