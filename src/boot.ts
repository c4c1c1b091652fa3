// Entry of dist/astotp, run by either start (build.mjs describes the file):
// it reads the bundle's code, which build.mjs wrote into the file as a
// comment at ASTOTP_CODE.offset, compiles it, from V8's code cache when
// there is a good one (native/code-cache.ts), and runs it as the module
// Node started, with that module's require, module and __filename.
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { runCompiled } from './native/code-cache.js';

/** From build.mjs: where and how it wrote the code (a script whose value is the module function). */
declare const ASTOTP_CODE: {
  /** Its digest of the code. */
  id: string;
  /** Byte offset and length of the code in the file. */
  offset: number;
  length: number;
  /** Line (0-based) and column where the code starts, for stack traces. */
  line: number;
  column: number;
  /** What each `*\/` of the code (in a regular expression or a string) was written as, or null if it has none. */
  escaped: string | null;
};
/** build.mjs's wrapper of this code: the bundle as the launcher opened it, or -1 when Node ran the file itself. */
declare const bundleFd: number;

const { id, offset, length, line, column, escaped } = ASTOTP_CODE;
// The launcher's descriptor is the file it read this code from, whatever
// has been installed at its path since.
const fd = bundleFd >= 0 ? bundleFd : openSync(__filename, 'r');
const bytes = Buffer.allocUnsafe(length + 2);
try {
  for (let done = 0, n = 1; n > 0 && done < bytes.length; done += n) n = readSync(fd, bytes, done, bytes.length - done, offset + done);
} finally {
  closeSync(fd);
}
if (bytes.toString('latin1', length) !== '*/')
  throw new Error(`${__filename} is not the file this code belongs to (changed while starting?)`);
let source = bytes.toString('latin1', 0, length);
if (escaped) source = source.replaceAll(escaped, '*/');
const main = runCompiled(source, id, { filename: __filename, lineOffset: line, columnOffset: column }) as (
  this: unknown,
  ...args: unknown[]
) => void;
main.call(module.exports, module.exports, require, module, __filename, dirname(__filename));
