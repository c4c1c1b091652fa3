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
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installSounds, soundsInstalled } from '../src/sounds/install.js';
import { PROMPT_NAMES, defaultSoundsDir, defaultSoundsRoot, promptPath } from '../src/sounds/prompts.js';

const soundsDir = fileURLToPath(new URL('../sounds/', import.meta.url));
const FORMATS = ['wav', 'ulaw', 'gsm'] as const;

function promptsTsv(): { name: string; text: string }[] {
  return readFileSync(join(soundsDir, 'prompts.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', text = ''] = line.split('\t');
      return { name, text };
    });
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

const tsv = promptsTsv();

describe('generated prompt files', () => {
  it('prompts.tsv lists exactly the prompts the code plays, each with a text', () => {
    expect(tsv.map((p) => p.name)).toEqual([...PROMPT_NAMES]);
    for (const p of tsv) expect(p.text.length).toBeGreaterThan(0);
  });

  it('sounds/ holds all three formats for every prompt and nothing stale', () => {
    const expected = tsv.flatMap((p) => FORMATS.map((ext) => `${p.name}.${ext}`)).sort();
    const present = readdirSync(soundsDir).filter((f) => /\.(wav|ulaw|gsm)$/.test(f)).sort();
    expect(present).toEqual(expected);
  });

  describe.each(tsv.map((p) => p.name))('%s', (name) => {
    const wav = parseWav(readFileSync(join(soundsDir, `${name}.wav`)));
    const ulaw = readFileSync(join(soundsDir, `${name}.ulaw`));
    const gsm = readFileSync(join(soundsDir, `${name}.gsm`));
    const n = wav.samples.length;

    it('wav is 8 kHz mono 16-bit PCM lasting 0.5 to 8 s', () => {
      expect(wav.fmt).toEqual({ format: 1, channels: 1, rate: 8000, byteRate: 16000, blockAlign: 2, bits: 16 });
      expect(n / 8000).toBeGreaterThanOrEqual(0.5);
      expect(n / 8000).toBeLessThanOrEqual(8);
    });

    it('starts with about 0.2 s of silence, then speech, peaking near -3 dBFS', () => {
      const firstSound = wav.samples.findIndex((s) => s !== 0);
      expect(firstSound / 8000).toBeGreaterThanOrEqual(0.15);
      expect(firstSound / 8000).toBeLessThanOrEqual(0.3);
      const peak = wav.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0) / 32768;
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
    expect(rows).toHaveLength(tsv.length * FORMATS.length);
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
    vi.doUnmock('../src/sounds/embedded-sounds.js');
    vi.resetModules();
  });
  const allFiles = tsv.flatMap((p) => FORMATS.map((ext) => `${p.name}.${ext}`)).sort();

  it('creates the directory and writes every prompt file, 0644 in a 0755 dir', () => {
    const target = join(tempDir(), 'sounds', 'en', 'otp');
    const res = installSounds(target, {});
    expect(res.written).toEqual(allFiles.map((f) => join(target, f)));
    expect(res.skipped).toEqual([]);
    expect(readdirSync(target).sort()).toEqual(allFiles); // no temp files left behind
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, '..')).mode & 0o777).toBe(0o755);
    for (const f of allFiles) {
      expect(statSync(join(target, f)).mode & 0o777).toBe(0o644);
      expect(readFileSync(join(target, f)).equals(readFileSync(join(soundsDir, f)))).toBe(true);
    }
    expect(soundsInstalled(target).missing).toEqual([]);
  });

  it('skips existing files unless overwrite is set', () => {
    const target = tempDir();
    installSounds(target, {});
    const edited = join(target, 'astotp-failed.wav');
    writeFileSync(edited, 'local recording');

    const again = installSounds(target, {});
    expect(again.written).toEqual([]);
    expect(again.skipped).toEqual(allFiles.map((f) => join(target, f)));
    expect(readFileSync(edited, 'utf8')).toBe('local recording');

    const forced = installSounds(target, { overwrite: true });
    expect(forced.written).toHaveLength(allFiles.length);
    expect(forced.skipped).toEqual([]);
    expect(readFileSync(edited).equals(readFileSync(join(soundsDir, 'astotp-failed.wav')))).toBe(true);
  });

  it.each([false, true])('refuses a symlink at a target file, writing nothing (overwrite=%s)', (overwrite) => {
    const base = tempDir();
    const victim = join(base, 'victim');
    writeFileSync(victim, 'precious');
    const target = join(base, 'otp');
    mkdirSync(target);
    symlinkSync(victim, join(target, 'astotp-success.gsm'));

    expect(() => installSounds(target, { overwrite })).toThrow(/symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(lstatSync(join(target, 'astotp-success.gsm')).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toEqual(['astotp-success.gsm']);
  });

  it.runIf(process.getuid?.() === 0)('as root, gives the files to the owner of the sounds dir', () => {
    const lang = join(tempDir(), 'en');
    mkdirSync(lang);
    chownSync(lang, 4321, 4322);
    const target = join(lang, 'otp');
    const res = installSounds(target, {});
    expect(res.warnings).toEqual([]);
    for (const p of [target, ...res.written]) {
      expect(statSync(p)).toMatchObject({ uid: 4321, gid: 4322 });
    }
  });

  it('in the bundle installs the embedded bytes, ignoring names that are not prompt files', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    vi.doMock('../src/sounds/embedded-sounds.js', () => ({
      embeddedSounds: { 'astotp-group.gsm': bytes, '../astotp-evil.wav': bytes, 'notes.txt': bytes },
    }));
    vi.resetModules();
    const mod = await import('../src/sounds/install.js');
    const target = tempDir();
    expect(mod.installSounds(target, {}).written).toEqual([join(target, 'astotp-group.gsm')]);
    expect(readdirSync(target)).toEqual(['astotp-group.gsm']);
    expect([...readFileSync(join(target, 'astotp-group.gsm'))]).toEqual([1, 2, 3]);
  });
});

describe('soundsInstalled', () => {
  it('reports prompts with no file in any format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'astotp-sounds-'));
    try {
      expect(soundsInstalled(join(dir, 'absent')).missing).toEqual([...PROMPT_NAMES]);
      expect(soundsInstalled(dir).missing).toEqual([...PROMPT_NAMES]);
      installSounds(dir, {});
      unlinkSync(join(dir, 'astotp-group.wav'));
      unlinkSync(join(dir, 'astotp-group.ulaw'));
      expect(soundsInstalled(dir).missing).toEqual([]); // the gsm alone will do
      unlinkSync(join(dir, 'astotp-group.gsm'));
      expect(soundsInstalled(dir).missing).toEqual(['astotp-group']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
