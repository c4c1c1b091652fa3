// The one layout of every page: language, viewport for phones, the site's
// name, the language switch, and one stylesheet whose hash the
// Content-Security-Policy names, so that no other style, no script and no
// outside resource can run on a page.
import { createHash } from 'node:crypto';
import type { UserLanguage } from '../auth/user-profile.js';
import { html, trusted, type Html } from './html.js';
import { LANGUAGES, textsOf, type Texts } from './texts/index.js';

const STYLE = `*{box-sizing:border-box}
body{font:1.05rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header{background:#123e63;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem;justify-content:space-between;align-items:center}
header p{margin:0;font-weight:600}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .8rem}
nav a{color:#fff}nav a[aria-current]{font-weight:700;text-decoration:none}
main{max-width:38rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.25}h2{font-size:1.15rem}
a{color:#0b5394}
:focus-visible{outline:3px solid #e8a100;outline-offset:2px}
label{display:block;font-weight:600;margin-top:1rem}
.hint{display:block;color:#4a4a4a;font-size:.95rem;margin:.1rem 0 .3rem}
input{font:inherit;font-size:1.25rem;width:100%;max-width:18rem;padding:.5rem;border:2px solid #555;border-radius:4px}
input[aria-invalid=true]{border-color:#b00020}
button{font:inherit;font-weight:600;margin-top:1.2rem;padding:.7rem 1.6rem;border:0;border-radius:4px;background:#123e63;color:#fff;cursor:pointer}
.error{color:#b00020;font-weight:600;margin:.2rem 0}
.summary{border:2px solid #b00020;padding:.5rem 1rem;margin:1rem 0}
.qr svg{display:block;width:100%;max-width:264px;height:auto}
.secret,.codes{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:1.3rem;letter-spacing:.05em}
.secret{word-spacing:.3em;background:#f2f2f2;padding:.4rem .6rem;border-radius:4px;display:inline-block}
.codes{columns:2;padding-left:2.2rem}
.add{display:inline-block;padding:.6rem 1rem;border:2px solid #0b5394;border-radius:4px;font-weight:600;text-decoration:none}
form.inline{display:inline-block;margin-right:.8rem}
button.secondary{background:#fff;color:#123e63;border:2px solid #123e63}
fieldset{border:2px solid #ccc;border-radius:4px;margin:1.2rem 0 0;padding:.2rem 1rem 1rem}legend{font-weight:600;padding:0 .3rem}
ul.actions{padding-left:1.2rem}ul.actions li{margin:.3rem 0}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;vertical-align:top;padding:.35rem .4rem;border-bottom:1px solid #ddd}
@media print{header nav,form,.add{display:none}header{background:none;color:#000}}`;

/** The Content-Security-Policy of every page: nothing but this stylesheet and forms to this site. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export interface PageFrame {
  lang: UserLanguage;
  t: Texts;
  /** The site's name: the issuer the authenticator app shows. */
  site: string;
  /** Where the language links lead: this page with ?lang=; none on a page a POST answered. */
  switchTo?: (lang: UserLanguage) => string;
}

export function page(frame: PageFrame, title: string, body: Html): string {
  const { lang, t } = frame;
  const links = frame.switchTo
    ? html`<nav aria-label="${t.languages}"><ul>${LANGUAGES.map(
        (l) =>
          html`<li><a href="${frame.switchTo!(l)}" lang="${l}" hreflang="${l}"${l === lang ? html` aria-current="true"` : ''}>${textsOf(l).language_name}</a></li>`,
      )}</ul></nav>`
    : '';
  return html`<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title} – ${frame.site}</title><style>${trusted(STYLE)}</style></head>
<body><header><p>${frame.site}</p>${links}</header>
<main>
<h1>${title}</h1>
${body}
</main></body></html>
`.text;
}
