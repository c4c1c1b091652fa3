// The account's pages, server-rendered and working without JavaScript, as
// the enrolment's are: the login, the account with its recent activity, and
// one page per change, each asking for the PIN and a fresh code first.
import type { Activity } from '../auth/self-service.js';
import { PIN_MIN_DIGITS } from '../auth/user-admin.js';
import { html, type Html } from './html.js';
import { page, type PageFrame } from './layout.js';
import { codeProblem, errorSummary, field, newSecretBlock, pinProblem, recoveryCodesBlock } from './pages.js';
import { fill, localTime, type TextKey } from './texts/index.js';

/** Every form: where it goes and its token. */
export interface FormFacts {
  action: string;
  csrf: string;
}

const hidden = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

const codeAttrs = html`autocomplete="one-time-code" required spellcheck="false" autocapitalize="off"`;

export function loginPage(f: PageFrame, s: FormFacts & { user: string; askPin: boolean; refused: boolean }): string {
  const { t } = f;
  return page(
    f,
    t.login_title,
    html`${s.refused ? errorSummary(f, t.login_refused) : ''}
<p>${s.askPin ? t.login_intro : t.login_intro_no_pin}</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
${field('user', t.user_label, '', undefined, html`value="${s.user}" autocomplete="username" required spellcheck="false" autocapitalize="off"`)}
${s.askPin ? field('pin', t.current_pin_label, '', undefined, html`type="password" inputmode="numeric" autocomplete="current-password" required`) : ''}
${field('code', t.login_code_label, t.login_code_hint, undefined, codeAttrs)}
<button type="submit">${t.login_button}</button>
</form>
<p class="hint">${t.login_enrol}</p>`,
  );
}

export interface AccountFacts {
  user: string;
  name: string | null;
  codesLeft: number;
  endsAt: number;
  askPin: boolean;
  activity: readonly Activity[];
  base: string;
  csrf: string;
}

export function accountPage(f: PageFrame, s: AccountFacts): string {
  const { t } = f;
  const who = s.name === null ? fill(t.account_who, { user: s.user }) : fill(t.account_who_named, { name: s.name, user: s.user });
  const post = (path: string, label: string) =>
    html`<form method="post" action="${s.base}${path}" class="inline">${hidden(s.csrf)}<button type="submit">${label}</button></form>`;
  return page(
    f,
    t.account_title,
    html`<p>${who}</p>
<p>${fill(t.account_codes_left, { count: s.codesLeft })}</p>
<h2>${t.account_actions}</h2>
<ul class="actions">
${s.askPin ? html`<li><a href="${s.base}/account/pin">${t.action_pin}</a></li>` : ''}
<li><a href="${s.base}/account/recovery">${t.action_recovery}</a></li>
<li><a href="${s.base}/account/phone">${t.action_phone}</a></li>
</ul>
${post('/logout', t.action_logout)}
${post('/account/logout-all', t.action_logout_all)}
<p class="hint">${t.logout_all_hint}</p>
<p class="hint">${fill(t.account_session, { time: localTime(f.lang, s.endsAt) })}</p>
<h2>${t.activity_title}</h2>
<p class="hint">${t.activity_hint}</p>
${s.activity.length === 0 ? html`<p>${t.activity_none}</p>` : activityTable(f, s.activity)}`,
  );
}

function activityTable(f: PageFrame, rows: readonly Activity[]): Html {
  const { t } = f;
  return html`<table id="activity"><thead><tr><th scope="col">${t.activity_when}</th><th scope="col">${t.activity_what}</th><th scope="col">${t.activity_result}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${localTime(f.lang, r.at)}</td><td>${activityWhat(f, r)}</td><td>${activityResult(f, r)}</td></tr>`)}</tbody></table>`;
}

const CHANGE_TEXTS: Record<string, TextKey> = {
  enroll: 'change_enroll',
  reset: 'change_reset',
  'set-pin': 'change_set_pin',
  recovery: 'change_recovery',
  disable: 'change_disable',
  enable: 'change_enable',
  unlock: 'change_unlock',
  remove: 'change_remove',
  show: 'change_show',
  set: 'change_set',
  import: 'change_import',
  'end-sessions': 'change_end_sessions',
};

function activityWhat(f: PageFrame, r: Activity): string {
  const { t } = f;
  const place = [r.from === null ? '' : fill(t.act_from, { from: r.from }), r.pbx === null ? '' : fill(t.act_pbx, { pbx: r.pbx })]
    .filter(Boolean)
    .join(' ');
  const text =
    r.kind === 'change'
      ? fill(t[r.by === 'admin' ? 'act_change_admin' : r.by === 'phone' ? 'act_change_phone' : 'act_change_web'], {
          change: CHANGE_TEXTS[r.what] === undefined ? r.what : t[CHANGE_TEXTS[r.what]!],
        })
      : t[r.kind === 'call' ? 'act_call' : r.kind === 'web-login' ? 'act_web_login' : 'act_web_check'];
  return place === '' ? text : `${text} ${place}`;
}

function activityResult(f: PageFrame, r: Activity): string {
  const { t } = f;
  if (r.kind === 'change' || r.what === 'ok') return r.ok ? t.result_ok : t.result_failed;
  if (r.what === 'bad-credentials') return t.result_failed;
  if (r.what === 'locked') return t.result_locked;
  return fill(t.result_ended, { reason: r.what });
}

/** The PIN and a fresh code, asked before every change. */
function confirmFields(f: PageFrame, askPin: boolean): Html {
  const { t } = f;
  return html`<fieldset><legend>${t.confirm_legend}</legend>
<p class="hint" id="confirm-hint">${askPin ? t.confirm_hint : t.confirm_hint_no_pin}</p>
${askPin ? field('pin', t.current_pin_label, '', undefined, html`type="password" inputmode="numeric" autocomplete="current-password" required`) : ''}
${field('code', t.login_code_label, '', undefined, codeAttrs)}
</fieldset>`;
}

const backLink = (f: PageFrame, base: string) => html`<p><a href="${base}/account">${f.t.back_to_account}</a></p>`;

export function pinPage(
  f: PageFrame,
  s: FormFacts & { base: string; pinMaxDigits: number; problem?: 'rule' | 'mismatch'; refused?: boolean },
): string {
  const { t } = f;
  const error = pinProblem(f, s.problem, s.pinMaxDigits);
  const pinAttrs = html`type="password" inputmode="numeric" autocomplete="new-password" required minlength="${PIN_MIN_DIGITS}" maxlength="${s.pinMaxDigits}"`;
  return page(
    f,
    t.pin_title,
    html`${s.refused ? errorSummary(f, t.confirm_refused) : error !== undefined ? errorSummary(f) : ''}
<p>${t.pin_intro}</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
${field('new_pin', t.new_pin_label, fill(t.pin_hint, { min: PIN_MIN_DIGITS, max: s.pinMaxDigits }), error, pinAttrs)}
${field('new_pin_again', t.new_pin_again_label, '', s.problem === 'mismatch' ? t.error_pin_mismatch : undefined, pinAttrs)}
${confirmFields(f, true)}
<button type="submit">${t.pin_button}</button>
</form>
${backLink(f, s.base)}`,
  );
}

export function recoveryPage(f: PageFrame, s: FormFacts & { base: string; askPin: boolean; count: number; refused?: boolean }): string {
  const { t } = f;
  return page(
    f,
    t.recovery_title,
    html`${s.refused ? errorSummary(f, t.confirm_refused) : ''}
<p>${fill(t.recovery_intro, { count: s.count })}</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
${confirmFields(f, s.askPin)}
<button type="submit">${t.recovery_button}</button>
</form>
${backLink(f, s.base)}`,
  );
}

export function recoveryDonePage(f: PageFrame, s: { base: string; codes: readonly string[] }): string {
  return page(f, f.t.recovery_done_title, html`${recoveryCodesBlock(f, s.codes)}${backLink(f, s.base)}`);
}

export function phoneStartPage(f: PageFrame, s: FormFacts & { base: string; askPin: boolean; refused?: boolean }): string {
  const { t } = f;
  return page(
    f,
    t.phone_title,
    html`${s.refused ? errorSummary(f, t.confirm_refused) : ''}
<p>${t.phone_intro}</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
<input type="hidden" name="step" value="start">
${confirmFields(f, s.askPin)}
<button type="submit">${t.phone_button}</button>
</form>
${backLink(f, s.base)}`,
  );
}

export interface PhoneSetupFacts extends FormFacts {
  uri: string;
  secret: string;
  facts: string;
  digits: number;
  until: number;
  lostPhone: boolean;
  problem?: 'missing' | 'wrong';
}

export function phoneSetupPage(f: PageFrame, s: PhoneSetupFacts): string {
  const { t } = f;
  const error = codeProblem(f, s.problem);
  return page(
    f,
    t.phone_setup_title,
    html`${error !== undefined ? errorSummary(f) : ''}
${s.lostPhone ? html`<p>${t.phone_lost}</p>` : ''}
<p>${t.phone_intro}</p>
${newSecretBlock(f, s.uri, s.secret)}
<p class="hint">${s.facts}</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
<input type="hidden" name="step" value="confirm">
${field('code', t.phone_code_label, fill(t.code_hint, { digits: s.digits }), error, html`inputmode="numeric" autocomplete="one-time-code" required`)}
<button type="submit">${t.phone_finish}</button>
</form>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
<input type="hidden" name="step" value="cancel">
<button type="submit" class="secondary">${t.phone_cancel}</button>
</form>
<p class="hint">${fill(t.phone_until, { time: localTime(f.lang, s.until) })}</p>`,
  );
}
