// Which language a page or mail speaks, and its texts: one table per
// language (en.ts and the others), the prompt languages.
import { isUserLanguage, USER_LANGUAGES, type UserLanguage } from '../../auth/user-profile.js';
import { en, type TextKey, type Texts } from './en.js';
import { es } from './es.js';
import { fr } from './fr.js';
import { it } from './it.js';
import { ru } from './ru.js';

export type { TextKey, Texts };
export const LANGUAGES = USER_LANGUAGES;
export const DEFAULT_LANGUAGE: UserLanguage = 'en';

const TABLES: Record<UserLanguage, Texts> = { en, es, fr, it, ru };

export function textsOf(lang: UserLanguage): Texts {
  return TABLES[lang];
}

/** {name} in a text replaced by vars.name; the caller escapes the result where it goes. */
export function fill(text: string, vars: Record<string, string | number> = {}): string {
  return text.replace(/\{([a-z]+)\}/g, (whole, k: string) => (Object.hasOwn(vars, k) ? String(vars[k]) : whole));
}

/** The first supported language of an Accept-Language header, by its q values. */
function fromAcceptLanguage(header: string | undefined): UserLanguage | null {
  if (!header) return null;
  const ranked = header
    .slice(0, 500)
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0]!, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.map((r) => r.lang).find(isUserLanguage) ?? null;
}

/** The page's language: the one chosen on the page, else the invitation's, else the browser's, else English. */
export function pageLanguage(chosen: string | undefined, invitation: string | null | undefined, accept: string | undefined): UserLanguage {
  if (chosen !== undefined && isUserLanguage(chosen)) return chosen;
  if (invitation && isUserLanguage(invitation)) return invitation;
  return fromAcceptLanguage(accept) ?? DEFAULT_LANGUAGE;
}

/** A time as the language writes it, always in UTC and saying so (users may be anywhere). */
export function localTime(lang: UserLanguage, unix: number): string {
  const text = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(unix * 1000));
  return `${text} UTC`;
}
