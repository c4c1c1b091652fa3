// How a db = postgres://... URL is read: libpq's forms, TLS rules that never
// silently skip certificate checks on a remote server, libpq's passfile.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPassword, parseDatabaseUrl, tlsOptions } from '../src/store/postgres/connection.js';
import { REPO_ROOT } from './helpers/asterisk-peer.js';
import { tempDir } from './helpers/temp.js';

const secure = { insecureTls: false };
const parse = (url: string, policy = secure, env: NodeJS.ProcessEnv = {}) => parseDatabaseUrl(url, policy, env);

describe('a PostgreSQL URL', () => {
  it('reads host, port, database and user, and names the server without query or password', () => {
    const a = parse('postgres://astotp@db.example.org:6432/otp?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem');
    expect(a).toMatchObject({
      host: 'db.example.org',
      port: 6432,
      database: 'otp',
      user: 'astotp',
      sslmode: 'verify-full',
      sslrootcert: '/etc/ssl/ca.pem',
    });
    expect(a.name).toBe('postgres://astotp@db.example.org:6432/otp');
    expect(parse('postgresql://u@[::1]/d')).toMatchObject({ host: '::1', port: 5432, sslmode: 'disable' });
    expect(parse('postgres://u@/d?host=/run/postgresql')).toMatchObject({
      host: '/run/postgresql',
      sslmode: 'disable',
      name: 'postgres://u@[/run/postgresql]:5432/d',
    });
    expect(parse('postgres://u@%2Frun%2Fpostgresql/d')).toMatchObject({ host: '/run/postgresql' });
  });

  it('verifies a remote server by default and refuses weaker modes unless the admin says db_insecure_tls', () => {
    expect(parse('postgres://u@10.1.2.3/d').sslmode).toBe('verify-full');
    for (const mode of ['disable', 'require', 'verify-ca']) {
      expect(() => parse(`postgres://u@10.1.2.3/d?sslmode=${mode}`)).toThrow(/would not check whose server it is.*db_insecure_tls = yes/);
      expect(parse(`postgres://u@10.1.2.3/d?sslmode=${mode}`, { insecureTls: true }).sslmode).toBe(mode);
    }
    // On this machine nobody is on the path.
    expect(parse('postgres://u@127.0.0.1/d?sslmode=disable').sslmode).toBe('disable');
    expect(parse('postgres://u@localhost/d?sslmode=require').sslmode).toBe('require');
  });

  it("refuses libpq's prefer and allow, which would fall back to plain text, and unknown parameters", () => {
    expect(() => parse('postgres://u@127.0.0.1/d?sslmode=prefer')).toThrow(/fall back to plain text/);
    expect(() => parse('postgres://u@127.0.0.1/d?sslmode=allow')).toThrow(/fall back to plain text/);
    expect(() => parse('postgres://u@127.0.0.1/d?sslmod=require')).toThrow(/unknown parameter sslmod/);
  });

  it('refuses a password in the URL and never repeats it, whatever it holds', () => {
    for (const pw of ['hunter2', 'pa/ss', 'pa?ss', 'p@ss', 'p#ss:x']) {
      let message = '';
      try {
        parse(`postgres://u:${pw}@db.example.org/d`);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/holds a password/);
      expect(message).not.toContain(pw);
    }
  });

  it('maps each sslmode to what node-postgres must do', () => {
    expect(tlsOptions(parse('postgres://u@127.0.0.1/d'))).toBe(false);
    expect(tlsOptions(parse('postgres://u@127.0.0.1/d?sslmode=require'))).toEqual({ rejectUnauthorized: false });
    const full = tlsOptions(parse('postgres://u@db.example.org/d')) as {
      rejectUnauthorized: boolean;
      servername?: string;
      checkServerIdentity?: unknown;
    };
    expect(full).toMatchObject({ rejectUnauthorized: true, servername: 'db.example.org' });
    expect(full.checkServerIdentity).toBeUndefined();
    const ca = tlsOptions(parse('postgres://u@db.example.org/d?sslmode=verify-ca', { insecureTls: true })) as {
      checkServerIdentity?: () => unknown;
    };
    expect(ca.checkServerIdentity?.()).toBeUndefined();
  });
});

describe("libpq's password lookup", () => {
  it('takes PGPASSWORD, else the first matching passfile line, with * and \\: escapes', () => {
    const dir = tempDir('astotp-pgpass-');
    const file = join(dir, 'pgpass');
    writeFileSync(file, ['# comment', 'other:5432:*:u:nope', 'db\\:x:*:d:u:first', '*:5432:d:u:p\\:w', '*:*:*:*:last'].join('\n'));
    chmodSync(file, 0o600);
    const a = parse(`postgres://u@db.example.org/d?passfile=${file}`);
    expect(findPassword(a, {})).toBe('p:w');
    expect(findPassword(a, { PGPASSWORD: 'from-env' })).toBe('from-env');
    expect(findPassword(parse(`postgres://v@db.example.org:7000/e?passfile=${file}`), {})).toBe('last');
  });

  it('refuses a passfile others can read, and says where it looked when nothing matches', () => {
    const dir = tempDir('astotp-pgpass-');
    const file = join(dir, 'pgpass');
    writeFileSync(file, 'h:1:d:u:pw\n');
    chmodSync(file, 0o644);
    expect(() => findPassword(parse(`postgres://u@127.0.0.1/d?passfile=${file}`), {})).toThrow(
      /readable by others \(mode 644\); chmod 600/,
    );
    chmodSync(file, 0o600);
    expect(() => findPassword(parse(`postgres://u@127.0.0.1/d?passfile=${file}`), {})).toThrow(/has no line for it/);
    expect(() => findPassword(parse('postgres://u@127.0.0.1/d'), { HOME: dir })).toThrow(/asks for a password and none was found/);
  });
});

describe('where a password goes', () => {
  it("says it in README's words, when the URL holds one and when none is found", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(/`/g, '').replace(/\s+/g, ' ');
    const failure = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('no failure');
    };
    const dir = tempDir('astotp-pgpass-');
    const sentences = [
      failure(() => parse('postgres://u:pw@127.0.0.1/d')),
      failure(() => findPassword(parse('postgres://u@127.0.0.1/d'), { HOME: dir })),
    ];
    expect(sentences[1]).toContain(`none was found (no PGPASSWORD, no file ${dir}/.pgpass)`);
    for (const sentence of sentences) {
      const advice = / It goes in (.*)$/.exec(sentence)?.[1];
      expect(advice).toMatch(/passfile= names in the URL, .* PGPASSWORD is read too, but only for tests/);
      expect(readme).toContain(`It goes in ${advice}.`);
    }
  });
});

const parseSocket = (url: string) => parseDatabaseUrl(url, { insecureTls: false }, {});

describe('a postgres:// URL with a user and no host', () => {
  it('names the socket host= gives, or the default one', () => {
    expect(parseSocket('postgres://astotp@/astotp?host=/run/pg%20x&port=5433')).toMatchObject({
      host: '/run/pg x',
      port: 5433,
      user: 'astotp',
      database: 'astotp',
      sslmode: 'disable',
    });
    expect(parseSocket('postgresql://astotp@/db')).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'astotp',
      database: 'db',
    });
    expect(parseSocket('postgres://a%40b@/db')).toMatchObject({ user: 'a@b', database: 'db' });
  });

  it('still refuses a password in it, without repeating it', () => {
    expect(() => parseSocket('postgres://astotp:s3cret@/db?host=/run/pg')).toThrow(
      /^db: the postgres:\/\/ URL holds a password \(not repeated here\)/,
    );
    expect(() => parseSocket('postgres://astotp:s3cret@/db?host=/run/pg')).not.toThrow(/s3cret/);
  });

  it('reads a URL with a host as before', () => {
    expect(parseSocket('postgres://astotp@%2Frun%2Fpg/db')).toMatchObject({ host: '/run/pg', user: 'astotp', database: 'db' });
    expect(parseSocket('postgres://astotp@127.0.0.1:6543/db')).toMatchObject({ host: '127.0.0.1', port: 6543, user: 'astotp' });
    expect(() => parseSocket('postgres://astotp@[/db')).toThrow(/is not a valid postgres:\/\/ URL/);
  });
});
