// The enrolment's pages, server-rendered, working without JavaScript: each
// form field has its label, its hint and its error tied to it for screen
// readers, in the order a keyboard reaches them.
import type { EnrolmentProblems, PendingEnrolment } from '../auth/self-enrolment.js';
import { PIN_MIN_DIGITS } from '../auth/user-admin.js';
import { qrSvg } from '../qr/modules.js';
import { html, trusted, type Html } from './html.js';
import { page, type PageFrame } from './layout.js';
import { fill, localTime } from './texts/index.js';

export interface StartFacts {
  user: string;
  name: string | null;
  expiresAt: number;
  needsActivationCode: boolean;
  askPin: boolean;
  action: string;
  csrf: string;
  /** After a wrong activation code: tries left. */
  wrongCode?: number;
}

export function startPage(f: PageFrame, s: StartFacts): string {
  const { t } = f;
  const who =
    s.name === null
      ? fill(t.start_for, { user: s.user, issuer: f.site })
      : fill(t.start_for_named, { name: s.name, user: s.user, issuer: f.site });
  const invalid = s.wrongCode !== undefined;
  const activation = s.needsActivationCode
    ? html`<label for="activation">${t.activation_label}</label>
<span class="hint" id="activation-hint">${t.activation_hint}</span>
${invalid ? html`<p class="error" id="activation-error">${fill(t.activation_wrong, { left: s.wrongCode! })}</p>` : ''}
<input id="activation" name="activation" inputmode="numeric" autocomplete="one-time-code" required aria-describedby="activation-hint${invalid ? ' activation-error' : ''}"${invalid ? html` aria-invalid="true"` : ''}>`
    : '';
  return page(
    f,
    t.start_title,
    html`${invalid ? errorSummary(f) : ''}
<p>${who}</p>
<p>${t.start_steps}</p>
<ol><li>${t.step_app}</li><li>${t.step_code}</li>${s.askPin ? html`<li>${t.step_pin}</li>` : ''}<li>${t.step_recovery}</li></ol>
<p>${fill(t.start_once, { time: localTime(f.lang, s.expiresAt) })}</p>
<form method="post" action="${s.action}">
<input type="hidden" name="csrf" value="${s.csrf}">
${activation}
<button type="submit">${t.start_button}</button>
</form>`,
  );
}

/** The secret as people type it: groups of four. */
function groupedSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** A form field with its label, hint and error tied to it, in keyboard order. */
export function field(id: string, label: string, hint: string, error: string | undefined, attrs: Html): Html {
  return html`<label for="${id}">${label}</label>
${hint === '' ? '' : html`<span class="hint" id="${id}-hint">${hint}</span>`}
${error === undefined ? '' : html`<p class="error" id="${id}-error">${error}</p>`}
<input id="${id}" name="${id}" ${attrs}${describedBy(id, hint !== '', error !== undefined)}${error === undefined ? '' : html` aria-invalid="true"`}>`;
}

function describedBy(id: string, hint: boolean, error: boolean): Html | string {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return ids === '' ? '' : html` aria-describedby="${ids}"`;
}

/** A new secret as the app takes it: the QR code, the otpauth:// link for this very phone, the key in groups. */
export function newSecretBlock(f: PageFrame, uri: string, secret: string): Html {
  const { t } = f;
  const title = html`<title id="qr-title">${t.qr_title}</title>`;
  return html`<p>${t.setup_scan}</p>
<div class="qr">${trusted(qrSvg(uri, 6, title.text).replace('role="img"', 'role="img" aria-labelledby="qr-title"'))}</div>
<p>${t.setup_on_phone} <a class="add" href="${uri}">${t.setup_link}</a></p>
<p>${t.setup_type}<br><span class="secret" id="secret">${groupedSecret(secret)}</span></p>`;
}

/** Recovery codes shown once, printable. */
export function recoveryCodesBlock(f: PageFrame, codes: readonly string[]): Html {
  const { t } = f;
  return html`<h2>${t.done_recovery}</h2>
<p>${t.done_recovery_how}</p>
<ol class="codes" id="recovery-codes">${codes.map((c) => html`<li>${c}</li>`)}</ol>
<p><strong>${t.done_recovery_keep}</strong></p>`;
}

/** What is wrong with a new app's code, as its field says it. */
export function codeProblem(f: PageFrame, problem: 'missing' | 'wrong' | undefined): string | undefined {
  return problem === 'missing' ? f.t.error_code_missing : problem === 'wrong' ? f.t.error_code_wrong : undefined;
}

/** What is wrong with a new PIN, as its field says it. */
export function pinProblem(f: PageFrame, problem: 'rule' | 'mismatch' | undefined, maxDigits: number): string | undefined {
  if (problem === 'rule') return fill(f.t.error_pin_rule, { min: PIN_MIN_DIGITS, max: maxDigits });
  return problem === 'mismatch' ? f.t.error_pin_mismatch : undefined;
}

export interface SetupFacts {
  e: PendingEnrolment;
  uri: string;
  action: string;
  csrf: string;
  pinMaxDigits: number;
  problems?: EnrolmentProblems;
}

export function setupPage(f: PageFrame, s: SetupFacts): string {
  const { t } = f;
  const { e, problems = {} } = s;
  const p = e.params;
  const codeError = codeProblem(f, problems.code);
  const pinError = pinProblem(f, problems.pin, s.pinMaxDigits);
  const pins = e.askPin
    ? html`${field(
        'pin',
        t.pin_label,
        fill(t.pin_hint, { min: PIN_MIN_DIGITS, max: s.pinMaxDigits }),
        pinError,
        html`type="password" inputmode="numeric" autocomplete="new-password" required minlength="${PIN_MIN_DIGITS}" maxlength="${s.pinMaxDigits}"`,
      )}
${field('pin_again', t.pin_again_label, '', problems.pin === 'mismatch' ? t.error_pin_mismatch : undefined, html`type="password" inputmode="numeric" autocomplete="new-password" required maxlength="${s.pinMaxDigits}"`)}`
    : '';
  return page(
    f,
    t.setup_title,
    html`${codeError !== undefined || pinError !== undefined ? errorSummary(f) : ''}
${newSecretBlock(f, s.uri, p.secret)}
<p class="hint">${fill(t.setup_facts, { user: e.user, issuer: e.issuer, digits: p.digits, period: p.period, algorithm: p.algorithm })}</p>
<form method="post" action="${s.action}">
<input type="hidden" name="csrf" value="${s.csrf}">
${field('code', t.code_label, fill(t.code_hint, { digits: p.digits }), codeError, html`inputmode="numeric" autocomplete="one-time-code" required`)}
${pins}
<button type="submit">${t.finish_button}</button>
</form>
<p class="hint">${fill(t.setup_until, { time: localTime(f.lang, e.sessionEnds) })}</p>`,
  );
}

export function donePage(f: PageFrame, d: { user: string; codes: readonly string[]; extension: string | null; askPin: boolean }): string {
  const { t } = f;
  const vars = { user: d.user, extension: d.extension ?? '' };
  const tryIt =
    d.extension === null
      ? fill(d.askPin ? t.done_try_anywhere : t.done_try_anywhere_no_pin, vars)
      : fill(d.askPin ? t.done_try : t.done_try_no_pin, vars);
  return page(
    f,
    t.done_title,
    html`${recoveryCodesBlock(f, d.codes)}
<p id="try">${tryIt}</p>`,
  );
}

/** The alert above a form with errors, which screen readers announce. */
export function errorSummary(f: PageFrame, text: string = f.t.errors_summary): Html {
  return html`<div class="summary" role="alert"><p>${text}</p></div>`;
}

/** A page that only tells something: a link that ended, an error; `next`, a link onwards. */
export function messagePage(f: PageFrame, title: string, lines: readonly string[], next?: { href: string; text: string }): string {
  return page(f, title, html`${lines.map((l) => html`<p>${l}</p>`)}${next ? html`<p><a href="${next.href}">${next.text}</a></p>` : ''}`);
}
