// One open database for every FastAGI call. better-sqlite3 is synchronous, so
// the calls of one server never run two transactions at once and cannot get
// SQLITE_BUSY from each other. A database that cannot be opened fails each
// call closed and is tried again on the next; one replaced on disk (a restore)
// is reopened, so the server never keeps writing to a file nobody reads.
import { statSync } from 'node:fs';
import type { Auth } from '../auth/open-auth.js';

export class SharedAuth {
  private auth: Auth | null = null;
  private inode: number | null = null;

  constructor(
    private readonly path: string,
    private readonly open: () => Auth,
  ) {}

  /** The open database, opened now if need be; throws why it cannot be opened. */
  get(): Auth {
    const inode = statSync(this.path, { throwIfNoEntry: false })?.ino ?? null;
    if (this.auth && inode !== this.inode) this.close();
    if (!this.auth) {
      this.auth = this.open();
      this.inode = inode;
    }
    return this.auth;
  }

  close(): void {
    this.auth?.store.close();
    this.auth = null;
    this.inode = null;
  }
}
