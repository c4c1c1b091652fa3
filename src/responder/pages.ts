// HTML of the responder. Everything that came from a request is escaped.
import type { LoginFields } from '../pbotp/login.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.4}
.code{font-family:monospace;font-size:2.5em;white-space:nowrap}.phrase{font-size:1.6em}
.error{color:#a00;font-weight:bold}code{word-break:break-all}label{display:block;margin:.5em 0}
input{font-family:monospace;width:100%;box-sizing:border-box}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

export interface FormValues {
  group?: string;
  host?: string;
  user?: string;
  challenge?: string;
}

function field(name: keyof FormValues, label: string, values: FormValues): string {
  const value = values[name] ?? '';
  return `<label>${label}<input name="${name}" value="${escapeHtml(value)}" autocomplete="off" spellcheck="false"></label>`;
}

export function homePage(version: string, publicKey: string, values: FormValues = {}, error?: string): string {
  return page(
    'pbotp responder',
    `<h1>pbotp responder</h1>
<p>${escapeHtml(version)}, protocol pbotp v2</p>
<p>Public key: <code>${escapeHtml(publicKey)}</code></p>
<h2>Challenge read out over the phone</h2>
${error === undefined ? '' : `<p class="error">${escapeHtml(error)}</p>`}
<form method="get" action="./">
${field('group', 'Group', values)}
${field('host', 'Host', values)}
${field('user', 'User', values)}
${field('challenge', 'Challenge digits (groups of 7, spaces or dashes allowed)', values)}
<button type="submit">Get code</button>
</form>`,
  );
}

export function responsePage(login: LoginFields, code: string, phrase: string): string {
  return page(
    `Login code for ${login.host}`,
    `<h1>Login code for ${escapeHtml(login.user)} on ${escapeHtml(login.host)}</h1>
<p>Group <b>${escapeHtml(login.group)}</b>, host <b>${escapeHtml(login.host)}</b>, user <b>${escapeHtml(login.user)}</b>.</p>
<p>Code:</p><p class="code">${escapeHtml(code)}</p>
<p>Phrase:</p><p class="phrase">${escapeHtml(phrase)}</p>
<p>Each code works for one login attempt only. Give it only to the person who is logging in.</p>`,
  );
}

export function errorPage(status: number, message: string): string {
  return page(`${status} ${message}`, `<h1>${status}</h1><p class="error">${escapeHtml(message)}</p>`);
}
