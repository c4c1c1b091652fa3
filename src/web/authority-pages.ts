// The pbotp authority's console, in English (its approvers are staff, as
// the pbotp tools' output is): the login, the form a challenge is pasted or
// typed into, the page that shows which login an approval is for, and the
// response. Everything from a request or the database is escaped (html.ts).
import type { LoginFields } from '../pbotp/login.js';
import { html, type Html } from './html.js';
import { page, type PageFrame } from './layout.js';
import { errorSummary, field } from './pages.js';

const codeAttrs = html`autocomplete="one-time-code" required spellcheck="false" autocapitalize="off" inputmode="numeric"`;
const plain = html`autocomplete="off" spellcheck="false" autocapitalize="off"`;

function hidden(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

function logoutForm(base: string, csrf: string): Html {
  return html`<form method="post" action="${base}/logout" class="inline">${hidden(csrf)}<button type="submit" class="secondary">Log out</button></form>`;
}

export function approverLoginPage(
  f: PageFrame,
  s: { action: string; csrf: string; user: string; askPin: boolean; refused: boolean },
): string {
  return page(
    f,
    'Approver login',
    html`${s.refused ? errorSummary(f, 'That did not work: check the user ID, PIN and code, and that you are an approver here.') : ''}
<p>Log in with your user ID on this authority${s.askPin ? ', your PIN' : ''} and the code your app shows now.</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
${field('user', 'User ID', '', undefined, html`value="${s.user}" autocomplete="username" required spellcheck="false" autocapitalize="off"`)}
${s.askPin ? field('pin', 'PIN', '', undefined, html`type="password" inputmode="numeric" autocomplete="current-password" required`) : ''}
${field('code', 'Code', 'The code your app shows now.', undefined, codeAttrs)}
<button type="submit">Log in</button>
</form>`,
  );
}

export interface ConsoleFacts {
  base: string;
  csrf: string;
  approver: string;
  /** "groups pbx, ssh; every host" */
  rights: string;
  values?: Partial<Record<'link' | 'group' | 'host' | 'user' | 'challenge', string>>;
  error?: string;
}

/** Where a challenge is pasted as a link, or typed as the digits a caller reads out. */
export function consolePage(f: PageFrame, s: ConsoleFacts): string {
  const v = s.values ?? {};
  return page(
    f,
    'Approve a login',
    html`<p>Logged in as <b>${s.approver}</b>, who approves ${s.rights}. ${logoutForm(s.base, s.csrf)}</p>
${s.error === undefined ? '' : errorSummary(f, s.error)}
<form method="get" action="${s.base}/">
<fieldset><legend>A challenge link</legend>
${field('link', 'Link', 'As the device showed it: https://…/GROUP/HOST/USER/CHALLENGE', undefined, html`value="${v.link ?? ''}" ${plain}`)}
<button type="submit">Show the login</button>
</fieldset>
</form>
<form method="get" action="${s.base}/">
<fieldset><legend>A challenge read out over the phone</legend>
${field('group', 'Group', '', undefined, html`value="${v.group ?? ''}" ${plain}`)}
${field('host', 'Host', '', undefined, html`value="${v.host ?? ''}" ${plain}`)}
${field('user', 'User', '', undefined, html`value="${v.user ?? ''}" ${plain}`)}
${field('challenge', 'Challenge digits', '13 groups of 7 digits; spaces or dashes allowed', undefined, html`value="${v.challenge ?? ''}" ${plain} inputmode="numeric"`)}
<button type="submit">Show the login</button>
</fieldset>
</form>`,
  );
}

function loginTable(login: LoginFields, fingerprint: string): Html {
  return html`<table><tbody>
<tr><th scope="row">Group</th><td id="group">${login.group}</td></tr>
<tr><th scope="row">Host</th><td id="host">${login.host}</td></tr>
<tr><th scope="row">User</th><td id="user">${login.user}</td></tr>
<tr><th scope="row">Challenge</th><td><code>sha256 ${fingerprint}</code></td></tr>
</tbody></table>`;
}

interface ConfirmFacts {
  base: string;
  action: string;
  csrf: string;
  login: LoginFields;
  fingerprint: string;
  /** The session saw no code for a while: the confirmation asks for a fresh one. */
  needCode: boolean;
  wrongCode?: boolean;
}

/** What the approval is for, before any response exists. */
export function confirmPage(f: PageFrame, s: ConfirmFacts): string {
  return page(
    f,
    `Approve ${s.login.user} on ${s.login.host}?`,
    html`${s.wrongCode ? errorSummary(f, 'That code did not work: type the one your app shows now.') : ''}
<p>This response logs <b>${s.login.user}</b> in on <b>${s.login.host}</b> (group <b>${s.login.group}</b>), once.</p>
${loginTable(s.login, s.fingerprint)}
<p class="hint">pbotp challenges carry no time: ask the person whether they have just made this one, and give the response only to them.</p>
<form method="post" action="${s.action}">
${hidden(s.csrf)}
${s.needCode ? field('code', 'Your code', 'More than 5 minutes since your last code: type the one your app shows now.', s.wrongCode ? 'Wrong code.' : undefined, codeAttrs) : ''}
<button type="submit" id="approve">Approve and show the response</button>
</form>
<p><a href="${s.base}/">Back</a></p>`,
  );
}

export function responsePage(f: PageFrame, s: { base: string; login: LoginFields; code: string; phrase: string }): string {
  return page(
    f,
    `Response for ${s.login.user} on ${s.login.host}`,
    html`<p>Group <b>${s.login.group}</b>, host <b>${s.login.host}</b>, user <b>${s.login.user}</b>.</p>
<p>Code:</p><p class="secret" id="code">${s.code}</p>
<p>Phrase:</p><p class="secret" id="phrase">${s.phrase}</p>
<p>It works for this one login attempt only. Your approval is in the authority's audit log.</p>
<p><a href="${s.base}/">Approve another login</a></p>`,
  );
}
