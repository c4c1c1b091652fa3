// Runs in a network namespace of its own (the test starts it with unshare
// --net, as root), where 192.0.2.25 (TEST-NET-1) is an address of this host
// that is not loopback: an SMTP server that offers no STARTTLS listens on the
// address given, the site's astotp.conf gets its port, then the command runs.
// Prints what the command did and what the server saw, as one JSON line.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SMTPServer } = require('smtp-server');
const [host, conf, ...command] = process.argv.slice(2);
const seen = { logins: [], mails: 0 };
const server = new SMTPServer({
  disabledCommands: ['STARTTLS'],
  authOptional: true,
  allowInsecureAuth: true,
  logger: false,
  onAuth(auth, _session, done) {
    seen.logins.push(auth.username);
    done(null, { user: auth.username });
  },
  onData(stream, _session, done) {
    stream.resume();
    stream.on('end', () => {
      seen.mails += 1;
      done();
    });
  },
});
await new Promise((resolve) => server.listen(0, host, resolve));
writeFileSync(conf, readFileSync(conf, 'utf8').replaceAll('{port}', String(server.server.address().port)));
// Asynchronous: this process's SMTP server must answer while the command runs.
const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
const status = await new Promise((resolve) => child.on('close', resolve));
server.close(() => {
  process.stdout.write(`${JSON.stringify({ status, stdout, stderr, seen })}\n`);
  process.exit(0);
});
