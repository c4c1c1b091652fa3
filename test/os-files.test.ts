// The writer for files that must survive a power cut whole (os/files.ts).
// What a test can show: the order of the calls that make a file durable
// (through an injected fs, and with strace on the real bundle), that nothing
// partial is ever visible under the final name, and that a concurrent reader
// sees the old or the new content. It cannot cut the power: that fsync(2)
// really reaches the disk is the kernel's promise, not something shown here.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createExclusive, replaceAtomically, type FileSystem } from '../src/os/files.js';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';
import { Site } from './helpers/site.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'astotp-files-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The real fs, with every call logged by name and the path or descriptor it concerns. */
function recordingFs(overrides: Partial<FileSystem> = {}): { fs: FileSystem; calls: string[] } {
  const calls: string[] = [];
  const paths = new Map<number, string>();
  const name = (fd: number) => paths.get(fd) ?? `fd${fd}`;
  const real: FileSystem = { ...fs, ...overrides };
  return {
    calls,
    fs: {
      openSync: ((path: string, flags: number, mode?: number) => {
        const fd = real.openSync(path, flags, mode);
        paths.set(fd, path);
        calls.push(`open ${path}`);
        return fd;
      }) as FileSystem['openSync'],
      writeSync: ((fd: number, ...rest: unknown[]) => {
        calls.push(`write ${name(fd)}`);
        return (real.writeSync as (...a: unknown[]) => number)(fd, ...rest);
      }) as FileSystem['writeSync'],
      fsyncSync: (fd) => {
        calls.push(`fsync ${name(fd)}`);
        real.fsyncSync(fd);
      },
      closeSync: (fd) => {
        calls.push(`close ${name(fd)}`);
        real.closeSync(fd);
      },
      linkSync: (from, to) => {
        calls.push(`link ${String(from)} ${String(to)}`);
        real.linkSync(from, to);
      },
      renameSync: (from, to) => {
        calls.push(`rename ${String(from)} ${String(to)}`);
        real.renameSync(from, to);
      },
      unlinkSync: (path) => {
        calls.push(`unlink ${String(path)}`);
        real.unlinkSync(path);
      },
    },
  };
}

/** A disk that fills up half way through the first write. */
function fullDisk(): Partial<FileSystem> {
  return {
    writeSync: ((fd: number, data: Uint8Array) => {
      fs.writeSync(fd, data, 0, Math.floor(data.length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }) as unknown as FileSystem['writeSync'],
  };
}

describe('createExclusive', () => {
  it('writes the file with mode 0600, syncs it before it gets its name and the directory after', () => {
    const dir = tempDir();
    const path = join(dir, 'key');
    const { fs: spy, calls } = recordingFs();
    createExclusive(path, 'secret bytes\n', { fs: spy });
    expect(readFileSync(path, 'utf8')).toBe('secret bytes\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['key']);
    const temp = /^open (.*)$/.exec(calls[0]!)![1]!;
    expect(temp).not.toBe(path);
    expect(calls).toEqual([
      `open ${temp}`,
      `write ${temp}`,
      `fsync ${temp}`,
      `close ${temp}`,
      `link ${temp} ${path}`,
      `unlink ${temp}`,
      `open ${dir}`,
      `fsync ${dir}`,
      `close ${dir}`,
    ]);
  });

  it('never replaces a file or a link, and leaves both as they were', () => {
    const dir = tempDir();
    const path = join(dir, 'key');
    writeFileSync(path, 'old');
    expect(() => createExclusive(path, 'new')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(path, 'utf8')).toBe('old');
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'elsewhere'), link);
    expect(() => createExclusive(link, 'new')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readdirSync(dir).sort()).toEqual(['key', 'link']);
  });

  it('shows nothing under the final name when the write fails half way', () => {
    const dir = tempDir();
    const path = join(dir, 'key');
    expect(() => createExclusive(path, 'x'.repeat(4096), { fs: { ...fs, ...fullDisk() } })).toThrow(/ENOSPC/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('replaceAtomically', () => {
  it('syncs the new content before the rename and the directory after', () => {
    const dir = tempDir();
    const path = join(dir, 'key');
    writeFileSync(path, 'old');
    const { fs: spy, calls } = recordingFs();
    replaceAtomically(path, 'new', { fs: spy });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const temp = /^open (.*)$/.exec(calls[0]!)![1]!;
    expect(calls).toEqual([
      `open ${temp}`,
      `write ${temp}`,
      `fsync ${temp}`,
      `close ${temp}`,
      `rename ${temp} ${path}`,
      `open ${dir}`,
      `fsync ${dir}`,
      `close ${dir}`,
    ]);
    expect(readdirSync(dir)).toEqual(['key']);
  });

  it('keeps the old content when the write fails half way', () => {
    const dir = tempDir();
    const path = join(dir, 'key');
    writeFileSync(path, 'old');
    expect(() => replaceAtomically(path, 'x'.repeat(4096), { fs: { ...fs, ...fullDisk() } })).toThrow(/ENOSPC/);
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['key']);
  });

  it('lets a reader in another process see the old or the new content, never a mix', async () => {
    const dir = tempDir();
    const path = join(dir, 'data');
    const size = 1 << 20;
    const a = Buffer.alloc(size, 'a');
    const b = Buffer.alloc(size, 'b');
    writeFileSync(path, a);
    const stop = join(dir, 'stop');
    // Reads until told to stop; counts reads that are neither all a nor all b of full length.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const [path, stop, size] = process.argv.slice(1);
         let reads = 0, mixed = 0;
         process.stdout.write('ready\\n');
         while (!fs.existsSync(stop)) {
           const t = fs.readFileSync(path);
           reads++;
           if (t.length !== Number(size) || (t.indexOf('a') >= 0 && t.indexOf('b') >= 0) || t.indexOf(0) >= 0) mixed++;
         }
         process.stdout.write(JSON.stringify({ reads, mixed }) + '\\n');`,
        path,
        stop,
        String(size),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      reader.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('ready\n')) resolve();
      });
    });
    const ended = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    for (let i = 0; i < 200; i++) replaceAtomically(path, i % 2 ? a : b);
    writeFileSync(stop, '');
    await ended;
    const result = JSON.parse(out.split('\n')[1]!) as { reads: number; mixed: number };
    expect(result.reads).toBeGreaterThan(0);
    expect(result.mixed).toBe(0);
  });
});

const strace = spawnSync('strace', ['-V']).status === 0;

describe.runIf(strace)('the key file of the real bundle (strace)', () => {
  it('is synced, named and its directory synced before the database commits the key check', () => {
    const site = new Site();
    onTestFinished(() => site.remove());
    const log = join(site.astDir, 'strace.log');
    const r = spawnSync(
      'strace',
      ['-f', '-qq', '-o', log, '-e', 'trace=openat,fsync,fdatasync,link,rename', process.execPath, BUNDLE_PATH, 'init'],
      {
        env: site.env,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .map((l) => l.replace(/^\d+\s+/, ''));
    const at = (pattern: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && pattern.test(l));
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const key = esc(site.keyFile);
    const tempOpen = at(
      new RegExp(`^openat\\(.*"${esc(site.varDir)}/\\.astotp\\.key\\.[0-9a-f]+\\.tmp", O_WRONLY\\|O_CREAT\\|O_EXCL.*= (\\d+)$`),
    );
    expect(tempOpen).toBeGreaterThanOrEqual(0);
    const tempFd = /= (\d+)$/.exec(lines[tempOpen]!)![1];
    const syncKey = at(new RegExp(`^fsync\\(${tempFd}\\)`), tempOpen);
    const linked = at(new RegExp(`^link\\(".*\\.tmp", "${key}"\\) = 0`), tempOpen);
    const dirOpen = at(new RegExp(`^openat\\(.*"${esc(site.varDir)}", O_RDONLY[^)]*O_DIRECTORY\\) = (\\d+)$`), linked);
    const dirFd = /= (\d+)$/.exec(lines[dirOpen] ?? '')?.[1];
    const syncDir = at(new RegExp(`^fsync\\(${dirFd}\\)`), dirOpen);
    const walOpen = at(new RegExp(`^openat\\(.*"${esc(site.db)}-wal".*= (\\d+)$`));
    const walFd = /= (\d+)$/.exec(lines[walOpen] ?? '')?.[1];
    const lastWalSync = lines.findLastIndex((l) => new RegExp(`^fsync\\(${walFd}\\)`).test(l));
    expect(syncKey).toBeGreaterThan(tempOpen);
    expect(linked).toBeGreaterThan(syncKey);
    expect(dirOpen).toBeGreaterThan(linked);
    expect(syncDir).toBeGreaterThan(dirOpen);
    // The commit that records the key check comes after the key is durable.
    expect(lastWalSync).toBeGreaterThan(syncDir);
    expect(statSync(site.keyFile).mode & 0o777).toBe(0o600);
  });
});
