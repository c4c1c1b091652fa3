// Mails about an account's events (auth/account-events.ts), to its user in
// their language and to the site's admin address in English: what happened,
// when and where, and what to do. A mail holds no PIN, code or secret.
import nodemailer from 'nodemailer';
import type { AccountEvent, AccountEventKind } from '../auth/account-events.js';
import type { UserLanguage } from '../auth/user-profile.js';
import type { SmtpSettings } from '../config/web-settings.js';
import { DEFAULT_LANGUAGE, fill, localTime } from './texts/index.js';
import { errorMessage } from '../text/error-message.js';

interface NoticeTexts {
  subject: Record<AccountEventKind, string>;
  body: Record<AccountEventKind, string>;
  where: string;
  notYou: string;
}

// {user}, {time} (a lock's end), {count}; then {when}, {source} and {pbx} in `where`.
const TEXTS: Record<UserLanguage, NoticeTexts> = {
  en: {
    subject: {
      lock: 'Your account {user} is locked for a while',
      'hard-lock': 'Your account {user} is locked',
      'pin-streak': 'Someone may know the PIN of your account {user}',
      'recovery-code-used': 'A recovery code of your account {user} was used',
      'login-after-failures': 'A login to your account {user} after failed attempts',
      'pin-changed': 'The PIN of your account {user} was changed',
      'secret-changed': 'Your account {user} has a new authenticator',
    },
    body: {
      lock: 'After failed logins your account {user} is locked until {time}.',
      'hard-lock':
        '{count} logins to your account {user} failed with the right PIN but a wrong code, so it is locked until the administrator unlocks it. Someone else probably knows your PIN: ask for a new one.',
      'pin-streak':
        '{count} logins to your account {user} in a row failed with the right PIN but a wrong code. Someone who knows your PIN may be trying codes: change your PIN.',
      'recovery-code-used': 'A recovery code was used to log in to your account {user}. {count} are left.',
      'login-after-failures': 'Someone logged in to your account {user} after {count} failed attempts.',
      'pin-changed': 'The PIN of your account {user} was changed.',
      'secret-changed': 'Your account {user} now takes codes from a new authenticator app; the old one no longer works.',
    },
    where: 'When: {when}, through {source} on {pbx}.',
    notYou: 'If this was not you, tell your administrator at once.',
  },
  es: {
    subject: {
      lock: 'Su cuenta {user} está bloqueada por un tiempo',
      'hard-lock': 'Su cuenta {user} está bloqueada',
      'pin-streak': 'Alguien podría conocer el PIN de su cuenta {user}',
      'recovery-code-used': 'Se usó un código de recuperación de su cuenta {user}',
      'login-after-failures': 'Un acceso a su cuenta {user} tras intentos fallidos',
      'pin-changed': 'Se cambió el PIN de su cuenta {user}',
      'secret-changed': 'Su cuenta {user} tiene un nuevo autenticador',
    },
    body: {
      lock: 'Tras accesos fallidos, su cuenta {user} está bloqueada hasta {time}.',
      'hard-lock':
        '{count} accesos a su cuenta {user} fallaron con el PIN correcto pero un código erróneo, así que está bloqueada hasta que el administrador la desbloquee. Probablemente otra persona conoce su PIN: pida uno nuevo.',
      'pin-streak':
        '{count} accesos seguidos a su cuenta {user} fallaron con el PIN correcto pero un código erróneo. Alguien que conoce su PIN puede estar probando códigos: cambie su PIN.',
      'recovery-code-used': 'Se usó un código de recuperación para acceder a su cuenta {user}. Quedan {count}.',
      'login-after-failures': 'Alguien accedió a su cuenta {user} tras {count} intentos fallidos.',
      'pin-changed': 'Se cambió el PIN de su cuenta {user}.',
      'secret-changed': 'Su cuenta {user} acepta ahora los códigos de una nueva aplicación de autenticación; la anterior ya no sirve.',
    },
    where: 'Cuándo: {when}, por {source} en {pbx}.',
    notYou: 'Si no fue usted, avise a su administrador de inmediato.',
  },
  fr: {
    subject: {
      lock: 'Votre compte {user} est bloqué pour un temps',
      'hard-lock': 'Votre compte {user} est bloqué',
      'pin-streak': "Quelqu'un connaît peut-être le code PIN de votre compte {user}",
      'recovery-code-used': 'Un code de secours de votre compte {user} a été utilisé',
      'login-after-failures': 'Une connexion à votre compte {user} après des échecs',
      'pin-changed': 'Le code PIN de votre compte {user} a été changé',
      'secret-changed': 'Votre compte {user} a un nouvel authentificateur',
    },
    body: {
      lock: "Après des connexions échouées, votre compte {user} est bloqué jusqu'au {time}.",
      'hard-lock':
        "{count} connexions à votre compte {user} ont échoué avec le bon code PIN mais un mauvais code, il est donc bloqué jusqu'à ce que l'administrateur le débloque. Quelqu'un d'autre connaît probablement votre code PIN : demandez-en un nouveau.",
      'pin-streak':
        "{count} connexions de suite à votre compte {user} ont échoué avec le bon code PIN mais un mauvais code. Quelqu'un qui connaît votre code PIN essaie peut-être des codes : changez votre code PIN.",
      'recovery-code-used': 'Un code de secours a servi à se connecter à votre compte {user}. Il en reste {count}.',
      'login-after-failures': "Quelqu'un s'est connecté à votre compte {user} après {count} tentatives échouées.",
      'pin-changed': 'Le code PIN de votre compte {user} a été changé.',
      'secret-changed':
        "Votre compte {user} accepte désormais les codes d'une nouvelle application d'authentification ; l'ancienne ne fonctionne plus.",
    },
    where: 'Quand : {when}, par {source} sur {pbx}.',
    notYou: "Si ce n'était pas vous, prévenez tout de suite votre administrateur.",
  },
  it: {
    subject: {
      lock: 'Il suo account {user} è bloccato per un po’',
      'hard-lock': 'Il suo account {user} è bloccato',
      'pin-streak': 'Qualcuno potrebbe conoscere il PIN del suo account {user}',
      'recovery-code-used': 'È stato usato un codice di recupero del suo account {user}',
      'login-after-failures': 'Un accesso al suo account {user} dopo tentativi falliti',
      'pin-changed': 'Il PIN del suo account {user} è stato cambiato',
      'secret-changed': 'Il suo account {user} ha un nuovo autenticatore',
    },
    body: {
      lock: 'Dopo accessi falliti il suo account {user} è bloccato fino al {time}.',
      'hard-lock':
        "{count} accessi al suo account {user} sono falliti con il PIN giusto ma un codice sbagliato, quindi è bloccato finché l'amministratore non lo sblocca. Probabilmente qualcun altro conosce il suo PIN: ne chieda uno nuovo.",
      'pin-streak':
        '{count} accessi di seguito al suo account {user} sono falliti con il PIN giusto ma un codice sbagliato. Qualcuno che conosce il suo PIN potrebbe provare dei codici: cambi il PIN.',
      'recovery-code-used': 'È stato usato un codice di recupero per accedere al suo account {user}. Ne restano {count}.',
      'login-after-failures': 'Qualcuno ha effettuato l’accesso al suo account {user} dopo {count} tentativi falliti.',
      'pin-changed': 'Il PIN del suo account {user} è stato cambiato.',
      'secret-changed': 'Il suo account {user} accetta ora i codici di una nuova app di autenticazione; quella vecchia non vale più.',
    },
    where: 'Quando: {when}, tramite {source} su {pbx}.',
    notYou: 'Se non è stato lei, avvisi subito il suo amministratore.',
  },
  ru: {
    subject: {
      lock: 'Ваша учётная запись {user} временно заблокирована',
      'hard-lock': 'Ваша учётная запись {user} заблокирована',
      'pin-streak': 'Кто-то, возможно, знает PIN вашей учётной записи {user}',
      'recovery-code-used': 'Использован резервный код вашей учётной записи {user}',
      'login-after-failures': 'Вход в вашу учётную запись {user} после неудачных попыток',
      'pin-changed': 'PIN вашей учётной записи {user} изменён',
      'secret-changed': 'У вашей учётной записи {user} новый аутентификатор',
    },
    body: {
      lock: 'После неудачных попыток входа ваша учётная запись {user} заблокирована до {time}.',
      'hard-lock':
        '{count} попыток входа в вашу учётную запись {user} не удались с верным PIN, но неверным кодом, поэтому она заблокирована, пока администратор её не разблокирует. Вероятно, ваш PIN знает кто-то ещё: попросите новый.',
      'pin-streak':
        '{count} попыток входа подряд в вашу учётную запись {user} не удались с верным PIN, но неверным кодом. Кто-то, знающий ваш PIN, возможно, подбирает коды: смените PIN.',
      'recovery-code-used': 'Для входа в вашу учётную запись {user} использован резервный код. Осталось: {count}.',
      'login-after-failures': 'Кто-то вошёл в вашу учётную запись {user} после неудачных попыток ({count}).',
      'pin-changed': 'PIN вашей учётной записи {user} изменён.',
      'secret-changed': 'Ваша учётная запись {user} теперь принимает коды нового приложения-аутентификатора; старое больше не действует.',
    },
    where: 'Когда: {when}, через {source} на {pbx}.',
    notYou: 'Если это были не вы, сразу сообщите администратору.',
  },
};

export interface NoticeMail {
  to: string;
  name: string | null;
  /** null: the admin's mail, in English. */
  language: UserLanguage | null;
  event: AccountEvent;
}

/** The mail's subject and text, in its language. */
export function noticeText(m: NoticeMail): { subject: string; text: string } {
  const lang = m.language ?? DEFAULT_LANGUAGE;
  const t = TEXTS[lang];
  const e = m.event;
  const vars = { user: e.user, count: e.count ?? 0, time: e.until ? localTime(lang, e.until) : '' };
  const lines = [
    fill(t.body[e.kind], vars),
    '',
    fill(t.where, { when: localTime(lang, e.at), source: e.source, pbx: e.pbx || '-' }),
    ...(e.kind === 'pin-changed' || e.kind === 'secret-changed' || e.kind === 'recovery-code-used' || e.kind === 'login-after-failures'
      ? ['', t.notYou]
      : []),
  ];
  return { subject: fill(t.subject[e.kind], vars), text: `${lines.join('\n')}\n` };
}

/** Sends each mail; why each one that did not go, in order (null for one that went). */
export async function sendNoticeMails(smtp: SmtpSettings, from: string, mails: readonly NoticeMail[]): Promise<Array<string | null>> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && !smtp.loopback,
    ...(smtp.user === null ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
    tls: { minVersion: 'TLSv1.2' },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const out: Array<string | null> = [];
  try {
    for (const m of mails) {
      const { subject, text } = noticeText(m);
      try {
        await transport.sendMail({ from, to: m.name === null ? m.to : { name: m.name, address: m.to }, subject, text });
        out.push(null);
      } catch (err) {
        out.push(errorMessage(err).replace(/\s+/g, ' ').slice(0, 200));
      }
    }
  } finally {
    transport.close();
  }
  return out;
}
