// The web server costs a classic call nothing: its code (src/web/ and what
// only it uses, nodemailer among it) is a compressed payload of dist/astotp
// that only serve-web and invite --send decode, as the PSKC reader and its
// XML parser are one only import --pskc decodes; and the code a call parses
// stays within a budget. agi-lean.test.ts checks that a call initialises none of it.
import { readFileSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundledModules } from '../scripts/probe-marks.mjs';
import { CARRIED } from '../scripts/web-payload.mjs';
import { BUNDLE_PATH } from './helpers/asterisk-peer.js';

/**
 * The bytes of dist/astotp before its first payload comment: what Node parses
 * at every classic call. The web server added 51 kB to it (its admin
 * commands, the schema, the invitation rules the CLI shares): 717 kB before,
 * 768 kB with it, once the PAM, doctor and admin-service work had landed too.
 * Tokens added 48 kB (772 kB before, 820 kB with them): the token commands,
 * the admin service's token operations, the tokens table in both adapters,
 * HOTP; their PSKC reader and its XML parser are a payload of their own.
 * The notices of issue 26 (the notifier command, [notify]) added 22 kB.
 */
const CODE_BUDGET = 860_000;

const bundle = readFileSync(BUNDLE_PATH, 'latin1');
const shipped = bundledModules(JSON.parse(readFileSync(`${BUNDLE_PATH}.meta.json`, 'utf8')));

describe("dist/astotp's web payload", () => {
  it('keeps the code a call parses within its budget', () => {
    const code = bundle.indexOf('\n/*astotp-payload ');
    expect(code).toBeGreaterThan(0);
    expect(code).toBeLessThanOrEqual(CODE_BUDGET);
  });

  it('holds the web code only as a payload: the main bundle has none of it but the loader', () => {
    expect(shipped).toContain('src/web/load-web.ts');
    expect(shipped.filter((m) => m.startsWith('src/web/') && m !== 'src/web/load-web.ts')).toEqual([]);
    expect(shipped.filter((m) => m.startsWith('node_modules/nodemailer/'))).toEqual([]);
    expect(shipped.filter((m) => CARRIED.includes(m))).toEqual([]);
  });

  it('holds the PSKC reader and its XML parser only as a payload, which decodes to them', () => {
    expect(shipped).toContain('src/cli/import/load-pskc.ts');
    expect(shipped.filter((m) => m === 'src/cli/import/pskc.ts' || m.startsWith('node_modules/@xmldom/'))).toEqual([]);
    const m = /\n\/\*astotp-payload pskc\n([A-Za-z0-9+/=]+)\*\//.exec(bundle);
    expect(m).not.toBeNull();
    const code = brotliDecompressSync(Buffer.from(m![1]!, 'base64')).toString('utf8');
    expect(code).toContain('DOMParser');
    expect(code).toContain('parsePskc');
    const hosts = [...new Set([...code.matchAll(/require\("astotp-host:([^"]+)"\)/g)].map((h) => h[1]!))];
    expect(hosts.filter((h) => !shipped.includes(h))).toEqual([]);
  });

  it('decodes to the server, which takes every module it shares from the main bundle', () => {
    const m = /\n\/\*astotp-payload web\n([A-Za-z0-9+/=]+)\*\//.exec(bundle);
    expect(m).not.toBeNull();
    const code = brotliDecompressSync(Buffer.from(m![1]!, 'base64')).toString('utf8');
    expect(code).toContain('sendMail');
    const hosts = [...new Set([...code.matchAll(/require\("astotp-host:([^"]+)"\)/g)].map((h) => h[1]!))];
    expect(hosts).toContain('src/auth/user-admin.ts');
    expect(hosts.filter((h) => !shipped.includes(h))).toEqual([]);
    // No second copy of a shared module: nothing of src/ outside src/web/ but what only the web uses.
    expect(code).not.toMatch(/astotp-payload|better-sqlite3/);
  });
});
