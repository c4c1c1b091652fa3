// What a long-lived server (serve-agi, serve-web) judges and writes with: the
// database and its key, opened once and kept, and opened again when either
// is replaced on disk. `restore --force` puts a new key file in place and
// the restored rows in the same database file: a server that kept the old
// key would refuse every right PIN (and count it towards the lockout) and
// seal what users change on the web with a key the file no longer holds.
// An SQLite file copied over the old one (a restore by hand) is a new
// inode; the server must not keep writing to a file nobody reads.
import { statSync } from 'node:fs';
import { isPostgresUrl } from '../store/location.js';

/** The files whose replacement means opening again: the SQLite file by inode (it is written all the time), the key file by any change. */
export interface WatchedFiles {
  /** The site's db setting: an SQLite file, or a PostgreSQL URL (nothing on disk to watch). */
  db: string;
  keyFile: string;
}

function identity(files: WatchedFiles): string {
  const db = isPostgresUrl(files.db) ? null : statSync(files.db, { throwIfNoEntry: false });
  const key = statSync(files.keyFile, { throwIfNoEntry: false });
  return [db ? `${db.dev}:${db.ino}` : '-', key ? `${key.dev}:${key.ino}:${key.size}:${key.mtimeMs}:${key.ctimeMs}` : '-'].join(' ');
}

export class Reopening<T> {
  private current: T | null = null;
  private seen: string | null = null;
  /** Requests that arrive while it is being opened wait for that one opening. */
  private opening: Promise<T> | null = null;

  constructor(
    private readonly files: WatchedFiles,
    private readonly open: () => Promise<T>,
    private readonly closeOne: (t: T) => Promise<void>,
  ) {}

  /** What is open, opened (again) now if need be; rejects with why it cannot be opened. */
  get(): Promise<T> {
    if (this.opening) return this.opening;
    const now = identity(this.files);
    if (this.current !== null && now !== this.seen) void this.close();
    if (this.current !== null) return Promise.resolve(this.current);
    const opening = this.open().then((t) => {
      this.current = t;
      this.seen = now;
      return t;
    });
    this.opening = opening;
    const done = (): void => {
      if (this.opening === opening) this.opening = null;
    };
    opening.then(done, done);
    return opening;
  }

  /** What is open now, if anything (nothing is opened for this). */
  get opened(): T | null {
    return this.current;
  }

  async close(): Promise<void> {
    const t = this.current;
    this.current = null;
    this.seen = null;
    if (t !== null) await this.closeOne(t);
  }
}
