// astotp install-sounds as an administrator runs it: the built bundle with
// the sounds archive build.mjs writes next to it, or the bundle on its own.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_PATH, REPO_ROOT } from './helpers/asterisk-peer.js';
import { PROMPT_NAMES, SOUND_FORMATS } from '../src/sounds/prompts.js';
import { CliSite } from './helpers/cli-site.js';
import { tempDir } from './helpers/temp.js';

const LANGS = ['en', 'es', 'fr', 'it', 'ru'];
const ARCHIVE = join(REPO_ROOT, 'dist', 'astotp-sounds.tar.gz');
const checkout = (lang: string): string[] =>
  readdirSync(join(REPO_ROOT, 'sounds', lang))
    .filter((f) => f.startsWith('astotp-'))
    .sort();

function soundsRoot(site: CliSite): string {
  return join(site.astDir, 'usr/share/asterisk/sounds');
}

/** dist/astotp copied where no archive lies next to it. */
function loneBundle(): string {
  const file = join(tempDir('astotp-lone-'), 'astotp');
  copyFileSync(BUNDLE_PATH, file);
  return file;
}

describe('astotp install-sounds', () => {
  it('installs every language in every format into <sounds>/<lang>/otp, byte for byte', () => {
    const site = new CliSite();
    const r = site.cli(['install-sounds']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const root = soundsRoot(site);
    expect(readdirSync(root).sort()).toEqual(LANGS);
    for (const lang of LANGS) {
      expect(r.stdout).toContain(
        `${lang}: installed ${PROMPT_NAMES.length * SOUND_FORMATS.length} prompt files in ${join(root, lang, 'otp')}`,
      );
      expect(readdirSync(join(root, lang, 'otp')).sort()).toEqual(checkout(lang));
      for (const f of checkout(lang)) {
        expect(readFileSync(join(root, lang, 'otp', f)).equals(readFileSync(join(REPO_ROOT, 'sounds', lang, f))), `${lang}/${f}`).toBe(
          true,
        );
      }
    }
  });

  it('--lang installs only those languages; a language it does not have is refused', () => {
    const site = new CliSite();
    const r = site.cli(['install-sounds', '--lang', 'fr,ru']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(soundsRoot(site)).sort()).toEqual(['fr', 'ru']);
    const bad = site.cli(['install-sounds', '--lang', 'de']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no prompts for de in .*astotp-sounds\.tar\.gz \(it has en, es, fr, it, ru\)/);
  });

  it('with DIR writes one language into exactly DIR, and refuses several', () => {
    const site = new CliSite();
    const dir = join(site.astDir, 'custom');
    expect(site.cli(['install-sounds', dir, '--lang', 'it']).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(checkout('it'));
    expect(readFileSync(join(dir, 'astotp-group.wav')).equals(readFileSync(join(REPO_ROOT, 'sounds/it/astotp-group.wav')))).toBe(true);
    const several = site.cli(['install-sounds', dir, '--lang', 'it,fr']);
    expect(several.status).toBe(2);
    expect(several.stderr).toMatch(/DIR takes one language/);
  });

  it('without the archive next to it installs the English GSM prompts it carries, and says so', () => {
    const site = new CliSite();
    const bundle = loneBundle();
    const r = spawnSync(process.execPath, [bundle, 'install-sounds'], { env: site.env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no astotp-sounds\.tar\.gz next to .*installing only the English GSM prompts/);
    expect(readdirSync(soundsRoot(site))).toEqual(['en']);
    const gsm = checkout('en').filter((f) => f.endsWith('.gsm'));
    expect(readdirSync(join(soundsRoot(site), 'en/otp')).sort()).toEqual(gsm);
    expect(site.cli(['doctor']).stdout).toMatch(new RegExp(`^PASS {2}sounds: all ${PROMPT_NAMES.length} prompts in en `, 'm'));

    const fr = spawnSync(process.execPath, [bundle, 'install-sounds', '--lang', 'fr'], { env: site.env, encoding: 'utf8' });
    expect(fr.status).toBe(2);
    expect(fr.stderr).toMatch(/no prompts for fr .*give --from astotp-sounds\.tar\.gz/);
    const from = spawnSync(process.execPath, [bundle, 'install-sounds', '--lang', 'fr', '--from', ARCHIVE], {
      env: site.env,
      encoding: 'utf8',
    });
    expect(from.status, from.stderr).toBe(0);
    expect(readdirSync(join(soundsRoot(site), 'fr/otp')).sort()).toEqual(checkout('fr'));
  });

  it('refuses without Asterisk, naming DIR, and creates nothing', () => {
    const site = new CliSite();
    const dataDir = join(site.astDir, 'no-asterisk');
    const r = site.cli(['install-sounds'], '', { AST_DATA_DIR: dataDir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `astotp: ${join(dataDir, 'sounds')} (AST_DATA_DIR) does not exist: is Asterisk installed? Install it first, or name the directory to write into: astotp install-sounds DIR --lang LANG (one language, into exactly DIR)\n`,
    );
    expect(existsSync(dataDir)).toBe(false);
    const dir = join(site.astDir, 'prompts-it');
    expect(site.cli(['install-sounds', dir, '--lang', 'it'], '', { AST_DATA_DIR: dataDir }).status).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(checkout('it'));
  });

  it('says that a --from archive does not exist, and that another file is not a sounds archive', () => {
    const site = new CliSite();
    const absent = join(site.astDir, 'astotp-sounds.tar.gz');
    const r = site.cli(['install-sounds', '--from', absent]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`astotp: ${absent} does not exist\n`);
    const other = join(site.astDir, 'notes.txt');
    writeFileSync(other, 'not gzip');
    expect(site.cli(['install-sounds', '--from', other]).stderr).toMatch(/^astotp: .*notes\.txt is not a sounds archive \(/);
    expect(readdirSync(soundsRoot(site))).toEqual([]);
  });

  it('keeps a site recording unless --overwrite is given', () => {
    const site = new CliSite();
    site.cli(['install-sounds', '--lang', 'es']);
    const own = join(soundsRoot(site), 'es/otp/astotp-success.wav');
    copyFileSync(join(REPO_ROOT, 'sounds/fr/astotp-success.wav'), own);
    const again = site.cli(['install-sounds', '--lang', 'es']);
    expect(again.stdout).toContain('es: installed 0 prompt files');
    expect(readFileSync(own).equals(readFileSync(join(REPO_ROOT, 'sounds/fr/astotp-success.wav')))).toBe(true);
    site.cli(['install-sounds', '--lang', 'es', '--overwrite']);
    expect(readFileSync(own).equals(readFileSync(join(REPO_ROOT, 'sounds/es/astotp-success.wav')))).toBe(true);
  });
});
