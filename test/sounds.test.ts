import { createHash } from 'node:crypto';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { soundsArchive } from '../scripts/sounds-archive.mjs';
import { readSoundsArchive } from '../src/sounds/archive.js';
import { tempDir } from './helpers/temp.js';
import { installSounds, soundsInstalled } from '../src/sounds/install.js';
import { PROMPT_NAMES, SOUND_FORMATS, SOUND_LANGUAGES, defaultSoundsDir, defaultSoundsRoot, promptPath } from '../src/sounds/prompts.js';

const soundsDir = fileURLToPath(new URL('../sounds/', import.meta.url));
const FORMATS = SOUND_FORMATS;

function promptsTsv(lang: string): { name: string; text: string }[] {
  return readFileSync(join(soundsDir, lang, 'prompts.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', text = ''] = line.split('\t');
      return { name, text };
    });
}

/** sox's own reading of a file: how long it lasts and its RMS, whole and above 4.5 kHz. */
function soxStat(file: string): { seconds: number; rms: number; highRms: number } {
  const ext = file.slice(file.lastIndexOf('.') + 1);
  const input = {
    wav: [],
    ulaw: ['-t', 'ul', '-r', '8000', '-c', '1'],
    gsm: ['-t', 'gsm', '-r', '8000', '-c', '1'],
    sln16: ['-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-r', '16000', '-c', '1'],
  }[ext];
  if (!input) throw new Error(`no sox input type for ${file}`);
  const stat = (effects: string[]): Record<string, number> => {
    const r = spawnSync('sox', ['-V1', ...input, file, '-n', ...effects, 'stat'], { encoding: 'utf8' });
    expect(r.status, `sox ${file}: ${r.stderr}`).toBe(0);
    return Object.fromEntries([...r.stderr.matchAll(/^(.+?):\s+(-?[\d.]+)$/gm)].map((m) => [m[1]?.trim() ?? '', Number(m[2])]));
  };
  const all = stat([]);
  // Above what 8 kHz audio can hold: only true wideband audio has anything there.
  const high =
    ext === 'sln16' || ext === 'wav'
      ? stat(ext === 'wav' ? ['rate', '16000', 'sinc', '4500'] : ['sinc', '4500'])
      : { 'RMS     amplitude': 0 };
  return { seconds: all['Length (seconds)'] ?? NaN, rms: all['RMS     amplitude'] ?? NaN, highRms: high['RMS     amplitude'] ?? NaN };
}

/** Walks the RIFF chunks rather than assuming a 44-byte header. */
function parseWav(buf: Buffer) {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.toString('ascii', 8, 12)).toBe('WAVE');
  expect(buf.readUInt32LE(4)).toBe(buf.length - 8);
  let fmt: { format: number; channels: number; rate: number; byteRate: number; blockAlign: number; bits: number } | undefined;
  let data: Buffer | undefined;
  for (let off = 12; off + 8 <= buf.length; ) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, off + 8 + size);
    if (id === 'fmt ') {
      fmt = {
        format: body.readUInt16LE(0),
        channels: body.readUInt16LE(2),
        rate: body.readUInt32LE(4),
        byteRate: body.readUInt32LE(8),
        blockAlign: body.readUInt16LE(12),
        bits: body.readUInt16LE(14),
      };
    } else if (id === 'data') {
      data = body;
    }
    off += 8 + size + (size % 2);
  }
  if (!fmt || !data) throw new Error('wav without fmt or data chunk');
  const samples = new Int16Array(data.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
  return { fmt, samples };
}

/** G.711 mu-law to 16-bit linear, as Asterisk's ulaw codec decodes it. */
function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** The English prompt files of the checkout, by name. */
const english = new Map(
  readdirSync(join(soundsDir, 'en'))
    .filter((f) => f.startsWith('astotp-'))
    .map((f) => [f, readFileSync(join(soundsDir, 'en', f))] as const),
);
const tables = Object.fromEntries(SOUND_LANGUAGES.map((lang) => [lang, promptsTsv(lang)]));

describe('generated prompt files', () => {
  it('sounds/ has a directory for exactly the shipped languages', () => {
    const dirs = readdirSync(soundsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual([...SOUND_LANGUAGES].sort());
  });

  it.each([...SOUND_LANGUAGES])('%s/prompts.tsv lists exactly the prompts the code plays, each with a text', (lang) => {
    expect(tables[lang]?.map((p) => p.name)).toEqual([...PROMPT_NAMES]);
    for (const p of tables[lang] ?? []) expect(p.text.length).toBeGreaterThan(0);
  });

  it('the US English prompts name the pound key, never the hash key', () => {
    const texts = tables.en?.map((p) => p.text).join('\n') ?? '';
    expect(texts).toMatch(/pound key/);
    expect(texts).not.toMatch(/hash/i);
  });

  it.each([...SOUND_LANGUAGES])('sounds/%s holds every format for every prompt and nothing stale', (lang) => {
    const expected = PROMPT_NAMES.flatMap((name) => FORMATS.map((ext) => `${name}.${ext}`)).sort();
    const present = readdirSync(join(soundsDir, lang))
      .filter((f) => f !== 'prompts.tsv')
      .sort();
    expect(present).toEqual(expected);
  });

  describe.each(SOUND_LANGUAGES.flatMap((lang) => PROMPT_NAMES.map((name) => [lang, name] as const)))('%s/%s', (lang, name) => {
    const file = (ext: string): string => join(soundsDir, lang, `${name}.${ext}`);
    const wav = parseWav(readFileSync(file('wav')));
    const ulaw = readFileSync(file('ulaw'));
    const gsm = readFileSync(file('gsm'));
    const sln16 = readFileSync(file('sln16'));
    const n = wav.samples.length;

    it('each format decodes with sox, at its rate, lasting as long as the wav (0.5 to 10 s), with sound in it', () => {
      expect(spawnSync('sox', ['--i', '-r', file('wav')], { encoding: 'utf8' }).stdout.trim()).toBe('8000');
      const wavStat = soxStat(file('wav'));
      expect(wavStat.seconds).toBeGreaterThanOrEqual(0.5);
      expect(wavStat.seconds).toBeLessThanOrEqual(10);
      for (const ext of FORMATS) {
        const st = soxStat(file(ext));
        // Read at the wrong rate, a raw file would last half or twice as long; GSM pads to 20 ms frames.
        expect(Math.abs(st.seconds - wavStat.seconds), ext).toBeLessThanOrEqual(0.021);
        expect(st.rms, ext).toBeGreaterThan(0.02);
      }
    });

    it('sln16 is wideband: it carries sound above 4 kHz that the 8 kHz wav cannot', () => {
      const wide = soxStat(file('sln16'));
      expect(wide.highRms / wide.rms).toBeGreaterThan(0.02);
      expect(soxStat(file('wav')).highRms / wide.rms).toBeLessThan(0.005);
    });

    it('wav is 8 kHz mono 16-bit PCM', () => {
      expect(wav.fmt).toEqual({ format: 1, channels: 1, rate: 8000, byteRate: 16000, blockAlign: 2, bits: 16 });
    });

    it.each([8000, 16000])('at %i Hz starts with about 0.2 s of silence, then speech, peaking near -3 dBFS', (rate) => {
      const samples = rate === 8000 ? wav.samples : new Int16Array(sln16.buffer.slice(sln16.byteOffset, sln16.byteOffset + sln16.length));
      const firstSound = samples.findIndex((s) => s !== 0);
      expect(firstSound / rate).toBeGreaterThanOrEqual(0.15);
      expect(firstSound / rate).toBeLessThanOrEqual(0.3);
      const peak = samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0) / 32768;
      expect(peak).toBeGreaterThan(0.6);
      expect(peak).toBeLessThan(0.75);
    });

    it('ulaw is headerless mu-law of the same samples', () => {
      expect(ulaw.length).toBe(n);
      // A mu-law step is at most 1/16 of the magnitude (plus the small-signal step).
      const off = wav.samples.findIndex((s, i) => Math.abs(ulawToLinear(ulaw[i] ?? 0) - s) > Math.abs(s) / 16 + 64);
      expect(off, 'first sample that does not decode to the wav').toBe(-1);
    });

    it('gsm is raw 33-byte GSM 06.10 frames covering the same duration', () => {
      expect(gsm.length % 33).toBe(0);
      expect(gsm.length / 33).toBe(Math.ceil(n / 160));
      for (let off = 0; off < gsm.length; off += 33) expect((gsm[off] ?? 0) >> 4).toBe(0xd);
    });
  });

  it('manifest.tsv matches the files (regenerate with scripts/make-sounds.sh)', () => {
    const rows = readFileSync(join(soundsDir, 'manifest.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('file\t'))
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(SOUND_LANGUAGES.length * PROMPT_NAMES.length * FORMATS.length);
    for (const [file = '', bytes, , sha] of rows) {
      const buf = readFileSync(join(soundsDir, file));
      expect(String(buf.length), file).toBe(bytes);
      expect(createHash('sha256').update(buf).digest('hex'), file).toBe(sha);
    }
  });
});

describe('sound paths', () => {
  it('prompts live in otp/ under the language dir', () => {
    expect(promptPath('astotp-enter-id')).toBe('otp/astotp-enter-id');
  });

  it('uses AST_DATA_DIR, else Debian when present, else the source-build default', () => {
    expect(defaultSoundsRoot({ AST_DATA_DIR: '/opt/ast' }, () => false)).toBe('/opt/ast/sounds');
    expect(defaultSoundsRoot({}, (p) => p === '/usr/share/asterisk/sounds')).toBe('/usr/share/asterisk/sounds');
    expect(defaultSoundsRoot({}, () => false)).toBe('/var/lib/asterisk/sounds');
    expect(defaultSoundsDir({}, 'otp', () => true)).toBe('/usr/share/asterisk/sounds/en/otp');
  });
});

describe('installSounds', () => {
  const temps: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'astotp-sounds-'));
    temps.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const allFiles = PROMPT_NAMES.flatMap((name) => FORMATS.map((ext) => `${name}.${ext}`)).sort();

  it('creates the directory and writes every prompt file, 0644 in a 0755 dir', () => {
    const target = join(tempDir(), 'sounds', 'en', 'otp');
    const res = installSounds(target, english);
    expect(res.written).toEqual(allFiles.map((f) => join(target, f)));
    expect(res.skipped).toEqual([]);
    expect(readdirSync(target).sort()).toEqual(allFiles); // no temp files left behind
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, '..')).mode & 0o777).toBe(0o755);
    for (const f of allFiles) {
      expect(statSync(join(target, f)).mode & 0o777).toBe(0o644);
      expect(readFileSync(join(target, f)).equals(readFileSync(join(soundsDir, 'en', f)))).toBe(true);
    }
    expect(soundsInstalled(target).missing).toEqual([]);
  });

  it('skips existing files unless overwrite is set', () => {
    const target = tempDir();
    installSounds(target, english);
    const edited = join(target, 'astotp-failed.wav');
    writeFileSync(edited, 'local recording');

    const again = installSounds(target, english);
    expect(again.written).toEqual([]);
    expect(again.skipped).toEqual(allFiles.map((f) => join(target, f)));
    expect(readFileSync(edited, 'utf8')).toBe('local recording');

    const forced = installSounds(target, english, { overwrite: true });
    expect(forced.written).toHaveLength(allFiles.length);
    expect(forced.skipped).toEqual([]);
    expect(readFileSync(edited).equals(readFileSync(join(soundsDir, 'en', 'astotp-failed.wav')))).toBe(true);
  });

  it.each([false, true])('refuses a symlink at a target file, writing nothing (overwrite=%s)', (overwrite) => {
    const base = tempDir();
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious');
    const target = join(base, 'otp');
    mkdirSync(target);
    symlinkSync(victim, join(target, 'astotp-success.gsm'));

    expect(() => installSounds(target, english, { overwrite })).toThrow(/symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(target, 'astotp-success.gsm')).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toEqual(['astotp-success.gsm']);
  });

  it.runIf(process.getuid?.() === 0)('as root, gives the files to the owner of the sounds dir', () => {
    const lang = join(tempDir(), 'en');
    mkdirSync(lang);
    chownSync(lang, 4321, 4322);
    const target = join(lang, 'otp');
    const res = installSounds(target, english);
    expect(res.warnings).toEqual([]);
    for (const p of [target, ...res.written]) {
      expect(statSync(p)).toMatchObject({ uid: 4321, gid: 4322 });
    }
  });

  it('writes only plain prompt names, whatever else its source holds', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const target = tempDir();
    const source = new Map([
      ['astotp-group.gsm', bytes],
      ['../astotp-evil.wav', bytes],
      ['notes.txt', bytes],
    ]);
    expect(installSounds(target, source).written).toEqual([join(target, 'astotp-group.gsm')]);
    expect(readdirSync(target)).toEqual(['astotp-group.gsm']);
    expect([...readFileSync(join(target, 'astotp-group.gsm'))]).toEqual([1, 2, 3]);
  });
});

describe('sounds archive', () => {
  const write = (entries: [string, Uint8Array][]): string => {
    const file = join(tempDir('astotp-archive-'), 'a.tar.gz');
    writeFileSync(file, soundsArchive(entries));
    return file;
  };

  it('reads back what it holds, by language; tar lists the same entries', () => {
    const file = write([
      ['fr/astotp-group.gsm', Buffer.from('fr')],
      ['en/astotp-group.sln16', Buffer.alloc(1500, 7)],
    ]);
    const set = readSoundsArchive(file);
    expect([...set.keys()].sort()).toEqual(['en', 'fr']);
    expect(Buffer.from(set.get('fr')?.get('astotp-group.gsm') ?? []).toString()).toBe('fr');
    expect(set.get('en')?.get('astotp-group.sln16')).toEqual(new Uint8Array(1500).fill(7));
    const listed = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
    expect(listed.stdout.trim().split('\n')).toEqual(['en/astotp-group.sln16', 'fr/astotp-group.gsm']);
  });

  it('ignores entries that are not <lang>/<prompt file>, so none can name another path', () => {
    const b = Buffer.from('x');
    const file = write([
      ['../astotp-group.gsm', b],
      ['fr/../../astotp-group.gsm', b],
      ['fr/notes.txt', b],
      ['fr/astotp-group.gsm', b],
    ]);
    expect([...readSoundsArchive(file)].map(([lang, files]) => [lang, [...files.keys()]])).toEqual([['fr', ['astotp-group.gsm']]]);
  });

  it('refuses a file that is no archive', () => {
    const file = join(tempDir('astotp-archive-'), 'x');
    writeFileSync(file, 'not gzip');
    expect(() => readSoundsArchive(file)).toThrow(/is not a sounds archive/);
  });
});

describe('soundsInstalled', () => {
  it('reports prompts with no file in any format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'astotp-sounds-'));
    try {
      expect(soundsInstalled(join(dir, 'absent')).missing).toEqual([...PROMPT_NAMES]);
      expect(soundsInstalled(dir).missing).toEqual([...PROMPT_NAMES]);
      installSounds(dir, english);
      unlinkSync(join(dir, 'astotp-group.wav'));
      unlinkSync(join(dir, 'astotp-group.ulaw'));
      unlinkSync(join(dir, 'astotp-group.sln16'));
      expect(soundsInstalled(dir).missing).toEqual([]); // the gsm alone will do
      unlinkSync(join(dir, 'astotp-group.gsm'));
      expect(soundsInstalled(dir).missing).toEqual(['astotp-group']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
