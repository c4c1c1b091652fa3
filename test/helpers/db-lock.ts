// Another process holding a lock on a site's database, as a backup script or
// an admin's sqlite3 shell might: Python's sqlite3 module, independent of the
// SQLite inside astotp. 'writers' is BEGIN EXCLUSIVE (in WAL mode readers go
// on); 'everyone' adds locking_mode=EXCLUSIVE, which shuts readers out too
// (it can only be taken while no other connection has the database open).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const HOLDER = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
if sys.argv[2] == 'everyone':
    db.execute('PRAGMA locking_mode = EXCLUSIVE')
db.execute('BEGIN EXCLUSIVE')
print('held', flush=True)
sys.stdin.readline()
db.execute('ROLLBACK')
`;

export class DbLock {
  private readonly gone: Promise<void>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.gone = new Promise((resolve) => child.once('close', () => resolve()));
  }

  /** Resolves once the lock is held. */
  static hold(db: string, who: 'writers' | 'everyone'): Promise<DbLock> {
    const child = spawn('python3', ['-c', HOLDER, db, who]);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    return new Promise((resolve, reject) => {
      child.stdout
        .setEncoding('utf8')
        .once('data', (c: string) => (c.startsWith('held') ? resolve(new DbLock(child)) : reject(new Error(c))));
      child.once('close', (code) => reject(new Error(`lock holder exited with ${code}: ${err}`)));
    });
  }

  /** Lets go of the lock and waits for the holder to exit; again, only waits. */
  release(): Promise<void> {
    if (this.child.stdin.writable) this.child.stdin.end('\n');
    return this.gone;
  }
}
