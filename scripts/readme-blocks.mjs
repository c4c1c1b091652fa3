// The README's fenced blocks, found by the words that introduce them: the
// tests and the real-Asterisk suite install exactly what the README prints
// (its PAM stacks, sshd_config lines, [pbotp-pam] section), so the two
// cannot drift apart.
//
//   node scripts/readme-blocks.mjs README.md '`/etc/pam.d/su`'   prints that block
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The content of the first fenced block after the first line that starts
 * with `intro`, without its fences, ending in a newline. Throws when there
 * is none: a test must not pass on a README that lost its block.
 */
export function readmeBlock(markdown, intro) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(intro));
  if (start < 0) throw new Error(`README has no line starting with ${intro}`);
  const open = lines.findIndex((line, i) => i > start && /^```/.test(line));
  const close = lines.findIndex((line, i) => i > open && /^```\s*$/.test(line));
  if (open < 0 || close < 0) throw new Error(`README has no fenced block after ${intro}`);
  return `${lines.slice(open + 1, close).join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, intro] = process.argv.slice(2);
  if (file === undefined || intro === undefined) {
    process.stderr.write('usage: node scripts/readme-blocks.mjs README.md INTRO\n');
    process.exit(2);
  }
  try {
    process.stdout.write(readmeBlock(readFileSync(file, 'utf8'), intro));
  } catch (err) {
    process.stderr.write(`readme-blocks: ${err.message}\n`);
    process.exit(1);
  }
}
