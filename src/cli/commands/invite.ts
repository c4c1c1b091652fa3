// astotp invite: invitation links for users to enrol themselves on the web
// (astotp serve-web). One user from the command line, or many from a CSV
// file, all in one transaction; the links printed, written to a new 0600
// CSV for a mail merge, or mailed (--send).
import { groupedActivationCode } from '../../auth/invitations.js';
import type { InvitationSpec, IssuedInvitation } from '../../auth/invitation-admin.js';
import { UserAdminError } from '../../auth/user-admin.js';
import { checkProfile, isUserLanguage, ProfileError } from '../../auth/user-profile.js';
import { durationSeconds, type WebSettings } from '../../config/web-settings.js';
import { loadWeb } from '../../web/load-web.js';
import { readAdminFile, writeAdminFile } from '../admin-files.js';
import { choiceOption, expectPositionals, flagOption, stringOption, type ParsedArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { QR_CHOICES } from '../enrollment.js';
import { CliFailure, UsageError } from '../errors.js';
import { isoTime, json, timeCell } from '../format.js';
import { csvField, parseCsv } from '../import/csv.js';
import { loginActor, openForCommand, settingsOf, webSettingsOf } from '../open.js';
import { PROFILE_HELP, PROFILE_OPTIONS, profileOptions } from '../profile-options.js';
import { checkUserId, untypable } from '../validate.js';
import { errorMessage } from '../../text/error-message.js';

const INVITE_COLUMNS = ['user', 'name', 'email', 'language'] as const;
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export const command: Command = {
  help: `Usage: astotp invite USER [--name TEXT] [--email ADDRESS] [--language LANG] [OPTIONS]
       astotp invite --csv FILE [--out FILE] [OPTIONS]

Invites USER to enrol on the web pages of astotp serve-web: prints the link
(web_url in [web] of astotp.conf, then /enrol/TOKEN) and its QR code, to
give to the user, for instance on paper. Opening the link shows who it is
for and changes nothing; the user then makes their own secret and PIN
there, which nobody else sees. The link works once, for USER only, until it
expires; until then USER is no user: a call for it fails as for an unknown
one. With --csv, each line (user,name,email,language, or a header naming
them) is an invitation, all made in one transaction or none.

Options:
${PROFILE_HELP}
  --expires DURATION   how long the link works: 30m, 72h, 7d (default: invite_expires in [web], 72h)
  --activation-code    also print an 8-digit code to give by another channel (a phone
                       call): the page asks for it, and 3 wrong ones end the link
  --send               mail each link to the user's address, in their language
                       (smtp_url, smtp_password_file and mail_from in [web])
  --force              replace a pending invitation of the same user
  --allow-untypable    invite an ID no caller can type (see astotp enroll)
  --csv FILE           invite every user of FILE
  --out FILE           with --csv: write the links to FILE (new, mode 0600) instead of standard
                       output, as CSV with the columns user, name, email, language, link,
                       expires and activation_code
  --qr STYLE           ansi (default), utf8, ascii or none: the link's QR code on the terminal
  --json               print the invitations as JSON
`,
  options: {
    ...PROFILE_OPTIONS,
    expires: 'string',
    'activation-code': 'boolean',
    send: 'boolean',
    force: 'boolean',
    'allow-untypable': 'boolean',
    csv: 'string',
    out: 'string',
    qr: 'string',
  },

  async run(ctx) {
    const csv = stringOption(ctx.args, 'csv');
    const out = stringOption(ctx.args, 'out');
    if (out !== undefined && csv === undefined) throw new UsageError('--out goes with --csv');
    const settings = settingsOf(ctx);
    const web = webSettingsOf(ctx);
    const send = flagOption(ctx.args, 'send');
    if (web.webUrl === null)
      throw new CliFailure('web_url is not set in [web] of astotp.conf: the links would lead nowhere; nothing was saved');
    if (send && (web.smtp === null || web.mailFrom === null))
      throw new CliFailure('--send needs smtp_url and mail_from in [web] of astotp.conf; nothing was saved');
    const seconds = expiry(ctx.args, web);
    const qr = choiceOption(ctx.args, 'qr', QR_CHOICES) ?? 'ansi';
    const specs = csv === undefined ? [oneUser(ctx, settings)] : csvUsers(ctx, readAdminFile(csv, MAX_INPUT_BYTES), csv, settings);
    if (send) {
      const missing = specs.filter((s) => s.profile.email === null);
      if (missing.length) throw new CliFailure(`--send: no mail address for ${missing.map((s) => s.id).join(', ')}; nothing was saved`);
    }

    const { store, invitations, now } = await openForCommand(ctx, true, settings);
    let issued: IssuedInvitation[];
    try {
      issued = await invitations.invite(loginActor, specs, {
        expiresAt: now() + seconds,
        activationCode: flagOption(ctx.args, 'activation-code'),
        replace: flagOption(ctx.args, 'force'),
      });
    } catch (err) {
      if (err instanceof UserAdminError && err.code === 'exists') throw new CliFailure(err.message);
      throw err;
    } finally {
      await store.close();
    }
    const link = (i: IssuedInvitation) => `${web.webUrl}/enrol/${i.token}`;
    const mailed = send ? await mail(web, settings.issuer, issued, link) : null;
    const sentTo = (i: IssuedInvitation) => mailed?.find((m) => m.user === i.id);

    if (ctx.globals.json) {
      ctx.out(
        json(
          issued.map((i) => ({
            user: i.id,
            name: i.profile.display_name,
            email: i.profile.email,
            language: i.profile.language,
            link: link(i),
            expires: isoTime(i.expiresAt),
            activation_code: i.activationCode,
            replaced: i.replaced,
            ...(mailed ? { mailed: sentTo(i)?.sent ?? false, mail_error: sentTo(i)?.error ?? null } : {}),
          })),
        ),
      );
    } else if (csv !== undefined) {
      const rows = issued.map((i) =>
        [
          i.id,
          i.profile.display_name ?? '',
          i.profile.email ?? '',
          i.profile.language ?? '',
          link(i),
          isoTime(i.expiresAt)!,
          i.activationCode ?? '',
        ]
          .map(csvField)
          .join(','),
      );
      const text = [[...INVITE_COLUMNS, 'link', 'expires', 'activation_code'].join(','), ...rows].map((l) => `${l}\n`).join('');
      if (out === undefined) process.stdout.write(text);
      else {
        writeAdminFile(out, text);
        ctx.note(
          `Wrote ${issued.length} invitation links to ${out} (mode 0600): each opens one enrolment, so keep it as safe as the links.`,
        );
      }
      ctx.note(`Invited ${issued.length} users, until ${timeCell(issued[0]?.expiresAt ?? now() + seconds)}.`);
    } else {
      const i = issued[0]!;
      ctx.out(`Invitation for ${i.id}${i.profile.display_name ? ` (${i.profile.display_name})` : ''}, until ${timeCell(i.expiresAt)}:`);
      ctx.out(link(i));
      if (i.activationCode)
        ctx.out(`Activation code, to give by another channel (e.g. a phone call): ${groupedActivationCode(i.activationCode)}`);
      if (qr !== 'none') {
        const { renderQr } = await import('../../qr/terminal.js');
        ctx.out(renderQr(link(i), qr));
      }
    }
    if (mailed) {
      for (const m of mailed)
        ctx.note(m.sent ? `Mailed the link of ${m.user} to ${m.to}.` : `Not mailed to ${m.to} (${m.user}): ${m.error}`);
      const failed = mailed.filter((m) => !m.sent);
      if (failed.length)
        throw new CliFailure(
          `${failed.length} of ${mailed.length} mails were not sent; their invitations stand (astotp invites lists them, invite --force USER makes a new link)`,
        );
    }
    return 0;
  },
};

function expiry(args: ParsedArgs, web: WebSettings): number {
  const given = stringOption(args, 'expires');
  if (given === undefined) return web.inviteSeconds;
  try {
    return durationSeconds(given);
  } catch (err) {
    throw new UsageError(`--expires: ${errorMessage(err)}`);
  }
}

function oneUser(ctx: CliContext, settings: ReturnType<typeof settingsOf>): InvitationSpec {
  const [raw] = expectPositionals(ctx.args, ['user']);
  const id = checkUserId(raw!);
  refuseUntypable(ctx, id, settings, '');
  const p = profileOptions(ctx.args);
  return { id, profile: { display_name: p.display_name ?? null, email: p.email ?? null, language: p.language ?? null } };
}

function refuseUntypable(ctx: CliContext, id: string, settings: ReturnType<typeof settingsOf>, where: string): void {
  const why = untypable(id, settings);
  if (why && !flagOption(ctx.args, 'allow-untypable'))
    throw new CliFailure(`${where}${why}; nothing was saved (--allow-untypable invites it anyway, for a profile naming it)`);
}

/** Every line of the file, or every wrong line reported and nothing saved. */
function csvUsers(ctx: CliContext, text: string, file: string, settings: ReturnType<typeof settingsOf>): InvitationSpec[] {
  expectPositionals(ctx.args, []);
  for (const o of ['name', 'email', 'language'])
    if (stringOption(ctx.args, o) !== undefined) throw new UsageError(`--${o} goes with one USER, not --csv (the file has a column)`);
  const { records, errors } = parseCsv(text, INVITE_COLUMNS);
  const problems = errors.map((e) => `${file} line ${e.line}: ${e.message}`);
  const specs: InvitationSpec[] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    const where = `${file} line ${r.line}`;
    try {
      const id = r.fields.user;
      if (id === undefined) throw new Error('no user ID');
      checkUserId(id);
      if (seen.has(id)) throw new Error(`user ${id} is also on line ${seen.get(id)}`);
      seen.set(id, r.line);
      refuseUntypable(ctx, id, settings, '');
      const p = checkProfile({ name: r.fields.name, email: r.fields.email, language: r.fields.language });
      specs.push({ id, where, profile: { display_name: p.display_name ?? null, email: p.email ?? null, language: p.language ?? null } });
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      problems.push(`${where}: ${err instanceof ProfileError ? `${err.code}: ` : ''}${err.message.replace(/; nothing was saved.*$/, '')}`);
    }
  }
  if (problems.length) {
    for (const p of problems.slice(0, 100)) ctx.note(p);
    throw new CliFailure(`${problems.length} error${problems.length === 1 ? '' : 's'} in ${file}; nothing was saved`);
  }
  if (specs.length === 0) throw new CliFailure(`no users in ${file}; nothing was saved`);
  return specs;
}

async function mail(web: WebSettings, issuer: string, issued: IssuedInvitation[], link: (i: IssuedInvitation) => string) {
  const { sendInvitationMails } = await loadWeb();
  return sendInvitationMails(
    web.smtp!,
    web.mailFrom!,
    issuer,
    issued.map((i) => ({
      to: i.profile.email!,
      user: i.id,
      name: i.profile.display_name,
      language: i.profile.language !== null && isUserLanguage(i.profile.language) ? i.profile.language : null,
      link: link(i),
      expiresAt: i.expiresAt,
      activationCode: i.activationCode !== null,
    })),
  );
}
