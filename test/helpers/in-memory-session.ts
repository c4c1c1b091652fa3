// An AgiSession wired to in-memory pipes, for tests of the protocol layer
// without a process: every line the session writes is recorded and may be
// answered.
import { PassThrough } from 'node:stream';
import { AgiSession, type AgiSessionOptions } from '../../src/agi/session.js';

export function connect(options?: AgiSessionOptions, onLine?: (line: string, say: (text: string) => void) => void) {
  const toSession = new PassThrough();
  const fromSession = new PassThrough();
  const session = new AgiSession(toSession, fromSession, options);
  const written: string[] = [];
  const say = (text: string) => toSession.write(text);
  let partial = '';
  fromSession.setEncoding('utf8');
  fromSession.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      written.push(line);
      onLine?.(line, say);
    }
  });
  return { session, written, say, toSession, fromSession };
}
