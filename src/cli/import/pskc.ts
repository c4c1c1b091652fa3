// A vendor's PSKC file (RFC 6030) read into key fobs: HOTP and TOTP key
// packages, their secrets plain or encrypted (section 6.1, a pre-shared
// AES-CBC key; section 6.2, a key derived from a passphrase with PBKDF2),
// every encrypted value checked against its MAC (HMAC over IV and
// ciphertext, with the MAC key the file carries encrypted). Every problem is
// reported by key package and line, and all of them at once. The XML is
// parsed by @xmldom/xmldom, never with a DTD: a file with one is refused
// before parsing, so no entity is ever declared, let alone expanded (XXE).
// Loaded only by import --pskc (load-pskc.ts): no call carries an XML parser.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { isFobSerial, SERIAL_RULE } from '../../auth/tokens.js';
import type { ImportedToken } from '../../auth/user-admin.js';
import { base32Text } from '../../totp/base32.js';

const PSKC = 'urn:ietf:params:xml:ns:keyprov:pskc';
const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const PKCS5 = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#';

const ALGORITHMS: Record<string, ImportedToken['kind']> = {
  [`${PSKC}:hotp`]: 'hotp',
  [`${PSKC}:totp`]: 'totp',
};
const CIPHERS: Record<string, { name: string; keyBytes: number }> = {
  [`${XENC}aes128-cbc`]: { name: 'aes-128-cbc', keyBytes: 16 },
  [`${XENC}aes192-cbc`]: { name: 'aes-192-cbc', keyBytes: 24 },
  [`${XENC}aes256-cbc`]: { name: 'aes-256-cbc', keyBytes: 32 },
};
const MACS: Record<string, string> = {
  [`${DS}hmac-sha1`]: 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha224': 'sha224',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'sha512',
};
const PBKDF2 = `${PKCS5}pbkdf2`;
/** The PRFs PBKDF2 may name (RFC 8018 appendix B.1.2), HMAC-SHA1 when it names none. */
const PRFS: Record<string, string> = { ...MACS, [`${PKCS5}hmac-sha1`]: 'sha1' };
/** RFC 4226's minimum, 128 bits; otplib takes at most 64 bytes. */
const SECRET_BYTES = { min: 16, max: 64 };
/** Enough for any honest file; a higher count is a file made to keep the importer busy. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** A fob of the file; `package` and `line` say where it is. */
export interface PskcToken extends Omit<ImportedToken, 'user' | 'where'> {
  package: number;
  line: number;
}

/** What is wrong, and where: a key package (0: the container) and a line (0: the whole file). */
export interface PskcProblem {
  package: number;
  line: number;
  message: string;
}

export interface PskcKeys {
  /** --pskc-key-file: the pre-shared key of section 6.1. */
  preSharedKey?: Buffer;
  /** --pskc-passphrase-file: what section 6.2's key is derived from. */
  passphrase?: string;
}

class Problem extends Error {
  constructor(
    message: string,
    readonly at: Element | null,
  ) {
    super(message);
  }
}

/** The fobs of a PSKC file, or every problem of it. */
export function parsePskc(text: string, keys: PskcKeys): { tokens: PskcToken[]; problems: PskcProblem[] } {
  const problems: PskcProblem[] = [];
  const dtd = /<!DOCTYPE|<!ENTITY/.exec(text);
  if (dtd) {
    const line = text.slice(0, dtd.index).split('\n').length;
    return { tokens: [], problems: [{ package: 0, line, message: 'a DTD (<!DOCTYPE or <!ENTITY) is not allowed in a PSKC file' }] };
  }
  const parseErrors: string[] = [];
  const doc = new DOMParser({
    locator: true,
    onError: (level, message) => {
      if (level !== 'warning') parseErrors.push(message.replace(/\s+/g, ' ').trim());
    },
  }).parseFromString(text, 'text/xml');
  if (parseErrors.length > 0 || !doc.documentElement)
    return { tokens: [], problems: [{ package: 0, line: 0, message: `not well-formed XML: ${parseErrors[0] ?? 'no root element'}` }] };
  const root = doc.documentElement;
  if (root.namespaceURI !== PSKC || root.localName !== 'KeyContainer')
    return {
      tokens: [],
      problems: [{ package: 0, line: lineOf(root), message: `not a PSKC file: the root element is not KeyContainer of ${PSKC}` }],
    };
  if (root.getAttribute('Version') !== '1.0')
    problems.push({
      package: 0,
      line: lineOf(root),
      message: `KeyContainer Version ${root.getAttribute('Version') ?? '(none)'} is not 1.0`,
    });

  // The container's keys, worked out once; a problem with them is each encrypted value's problem.
  let cipherKey: Buffer | Problem | null = null;
  let macKey: { key: Buffer; hash: string } | Problem | null = null;
  const container = () => {
    cipherKey ??= encryptionKey(root, keys);
    macKey ??= cipherKey instanceof Problem ? cipherKey : macKeyOf(root, cipherKey);
    return { cipherKey, macKey };
  };

  const tokens: PskcToken[] = [];
  const packages = children(root, PSKC, 'KeyPackage');
  if (packages.length === 0) problems.push({ package: 0, line: lineOf(root), message: 'the file holds no KeyPackage' });
  packages.forEach((pkg, i) => {
    const n = i + 1;
    try {
      tokens.push({ ...keyPackage(pkg, container), package: n, line: lineOf(pkg) });
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      problems.push({ package: n, line: lineOf(err.at ?? pkg), message: err.message });
    }
  });
  // A serial names one fob: the same serial twice is a vendor's mistake, not two keys of one device.
  const first = new Map<string, PskcToken>();
  for (const t of tokens) {
    const earlier = first.get(t.serial);
    if (earlier)
      problems.push({
        package: t.package,
        line: t.line,
        message: `serial ${t.serial} is also key package ${earlier.package} (line ${earlier.line})`,
      });
    else first.set(t.serial, t);
  }
  return { tokens: problems.length === 0 ? tokens : [], problems };
}

function keyPackage(
  pkg: Element,
  container: () => { cipherKey: Buffer | Problem | null; macKey: { key: Buffer; hash: string } | Problem | null },
) {
  const keys = children(pkg, PSKC, 'Key');
  if (keys.length !== 1) throw new Problem(`a key package holds one Key, this one ${keys.length}`, pkg);
  const key = keys[0]!;
  const uri = key.getAttribute('Algorithm') ?? '';
  const kind = ALGORITHMS[uri];
  if (!kind) throw new Problem(`algorithm ${uri || '(none)'} is not supported: only HOTP and TOTP (${PSKC}:hotp, :totp)`, key);
  const serialElement = child(child(pkg, PSKC, 'DeviceInfo'), PSKC, 'SerialNo');
  const serial = (serialElement ? textOf(serialElement) : (key.getAttribute('Id') ?? '')).trim();
  if (serial === '') throw new Problem('no serial: neither DeviceInfo/SerialNo nor a Key Id', key);
  if (!isFobSerial(serial))
    throw new Problem(`serial ${serial.slice(0, 70)} is not valid: a serial is ${SERIAL_RULE}`, serialElement ?? key);
  const params = child(key, PSKC, 'AlgorithmParameters');
  const format = child(params, PSKC, 'ResponseFormat');
  const digits = format?.getAttribute('Length') ?? '6';
  if (digits !== '6' && digits !== '8') throw new Problem(`codes of ${digits} digits are not supported: 6 or 8`, format);
  const encoding = format?.getAttribute('Encoding') ?? 'DECIMAL';
  if (encoding !== 'DECIMAL') throw new Problem(`response encoding ${encoding} is not supported: DECIMAL`, format);
  const suite = child(params, PSKC, 'Suite');
  const algorithm = suite ? hashOf(suite) : 'SHA1';
  const data = child(key, PSKC, 'Data');
  const secretElement = child(data, PSKC, 'Secret');
  if (!secretElement) throw new Problem('the key has no secret (Data/Secret)', key);
  const secret = value(secretElement, container);
  if (secret.length < SECRET_BYTES.min || secret.length > SECRET_BYTES.max)
    throw new Problem(
      `the secret has ${secret.length} bytes; a fob's secret has ${SECRET_BYTES.min} to ${SECRET_BYTES.max}`,
      secretElement,
    );
  const integer = (name: string): number | null => {
    const e = child(data, PSKC, name);
    return e ? integerOf(value(e, container), e, name) : null;
  };
  const common = { serial, kind, secret: base32Text(secret), algorithm, digits: Number(digits) as 6 | 8 };
  if (kind === 'hotp') return { ...common, counter: integer('Counter') ?? 0, period: null, drift: 0 };
  const start = integer('Time');
  if (start !== null && start !== 0)
    throw new Problem(`a TOTP start time (Data/Time) of ${start} is not supported: 0`, child(data, PSKC, 'Time'));
  const period = integer('TimeInterval') ?? 30;
  if (period !== 30 && period !== 60)
    throw new Problem(`a TOTP time step of ${period} s is not supported: 30 or 60`, child(data, PSKC, 'TimeInterval'));
  return { ...common, counter: null, period, drift: integer('TimeDrift') ?? 0 };
}

/** A Data element's value: its PlainValue, or its EncryptedValue decrypted once its ValueMAC matched. */
function value(
  e: Element,
  container: () => { cipherKey: Buffer | Problem | null; macKey: { key: Buffer; hash: string } | Problem | null },
): Buffer {
  const plain = child(e, PSKC, 'PlainValue');
  if (plain) {
    if (e.localName !== 'Secret') return Buffer.from(textOf(plain).trim(), 'utf8');
    return base64(plain, 'the secret');
  }
  const encrypted = child(e, PSKC, 'EncryptedValue');
  if (!encrypted) throw new Problem(`${e.localName} has neither PlainValue nor EncryptedValue`, e);
  const { cipherKey, macKey } = container();
  if (cipherKey === null) throw new Problem(`${e.localName} is encrypted, but the file names no EncryptionKey`, encrypted);
  if (cipherKey instanceof Problem) throw new Problem(cipherKey.message, encrypted);
  const { bytes, cipher } = cipherData(encrypted, `the encrypted ${e.localName}`);
  const mac = child(e, PSKC, 'ValueMAC');
  if (macKey === null || mac === null)
    throw new Problem(`${e.localName} is encrypted without a MAC (MACMethod and ValueMAC), so it cannot be trusted`, encrypted);
  if (macKey instanceof Problem) throw new Problem(macKey.message, encrypted);
  const expected = createHmac(macKey.hash, macKey.key).update(bytes).digest();
  const given = base64(mac, 'the ValueMAC');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Problem(`the MAC of the ${e.localName} does not match: the file was changed, or the key is wrong`, mac);
  return decrypt(cipher, cipherKey, bytes, encrypted, `the ${e.localName}`);
}

/** The key of section 6.1 (given) or 6.2 (derived): null when the file encrypts nothing. */
function encryptionKey(root: Element, keys: PskcKeys): Buffer | Problem | null {
  const ek = child(root, PSKC, 'EncryptionKey');
  if (!ek) return null;
  const derived = child(ek, XENC11, 'DerivedKey') ?? child(ek, PSKC, 'DerivedKey');
  if (!derived) {
    if (!keys.preSharedKey) return new Problem('the file is encrypted with a pre-shared key: give it with --pskc-key-file', ek);
    return keys.preSharedKey;
  }
  const method = child(derived, XENC11, 'KeyDerivationMethod') ?? child(derived, PSKC, 'KeyDerivationMethod');
  if (method?.getAttribute('Algorithm') !== PBKDF2)
    return new Problem(`key derivation ${method?.getAttribute('Algorithm') ?? '(none)'} is not supported: PBKDF2`, method ?? derived);
  if (keys.passphrase === undefined)
    return new Problem('the file is encrypted with a passphrase: give it with --pskc-passphrase-file', derived);
  // RFC 6030's figure 7 names it in PKCS #5's namespace, XML Encryption 1.1 (and python-pskc) in its own.
  const p = child(method, null, 'PBKDF2-params');
  const salt = child(child(p, null, 'Salt'), null, 'Specified');
  const iterations = child(p, null, 'IterationCount');
  const length = child(p, null, 'KeyLength');
  if (!salt || !iterations || !length) return new Problem('PBKDF2-params needs Salt/Specified, IterationCount and KeyLength', p ?? method);
  const prf = child(p, null, 'PRF')?.getAttribute('Algorithm') || `${PKCS5}hmac-sha1`;
  const hash = PRFS[prf];
  if (!hash) return new Problem(`PBKDF2 PRF ${prf} is not supported`, p);
  try {
    const n = integerOf(Buffer.from(textOf(iterations).trim()), iterations, 'IterationCount');
    if (n < 1 || n > MAX_PBKDF2_ITERATIONS) return new Problem(`IterationCount ${n} is not from 1 to ${MAX_PBKDF2_ITERATIONS}`, iterations);
    const bytes = integerOf(Buffer.from(textOf(length).trim()), length, 'KeyLength');
    if (![16, 24, 32].includes(bytes)) return new Problem(`KeyLength ${bytes} is not 16, 24 or 32`, length);
    return pbkdf2Sync(keys.passphrase, base64(salt, 'the salt'), n, bytes, hash);
  } catch (err) {
    if (err instanceof Problem) return err;
    throw err;
  }
}

function macKeyOf(root: Element, cipherKey: Buffer | null): { key: Buffer; hash: string } | Problem | null {
  const method = child(root, PSKC, 'MACMethod');
  if (!method) return null;
  const uri = method.getAttribute('Algorithm') ?? '';
  const hash = MACS[uri];
  if (!hash) return new Problem(`MAC algorithm ${uri || '(none)'} is not supported`, method);
  const mk = child(method, PSKC, 'MACKey');
  if (!mk) return new Problem('MACMethod has no MACKey', method);
  if (cipherKey === null) return new Problem('the MAC key is encrypted, but the file names no EncryptionKey', mk);
  try {
    const { bytes, cipher } = cipherData(mk, 'the MAC key');
    return { key: decrypt(cipher, cipherKey, bytes, mk, 'the MAC key'), hash };
  } catch (err) {
    if (err instanceof Problem) return err;
    throw err;
  }
}

/** xenc:EncryptionMethod and CipherData/CipherValue (IV first, then the ciphertext). */
function cipherData(e: Element, what: string): { bytes: Buffer; cipher: { name: string; keyBytes: number } } {
  const method = child(e, XENC, 'EncryptionMethod');
  const uri = method?.getAttribute('Algorithm') ?? '';
  const cipher = CIPHERS[uri];
  if (!cipher)
    throw new Problem(`${what} is encrypted with ${uri || '(no EncryptionMethod)'}, which is not supported: AES-CBC`, method ?? e);
  const value = child(child(e, XENC, 'CipherData'), XENC, 'CipherValue');
  if (!value) throw new Problem(`${what} has no CipherData/CipherValue`, e);
  const bytes = base64(value, what);
  if (bytes.length < 32 || bytes.length % 16 !== 0) throw new Problem(`${what} is not an IV and whole AES blocks`, value);
  return { bytes, cipher };
}

function decrypt(cipher: { name: string; keyBytes: number }, key: Buffer, bytes: Buffer, at: Element, what: string): Buffer {
  if (key.length !== cipher.keyBytes)
    throw new Problem(`${what} needs a key of ${cipher.keyBytes} bytes for ${cipher.name}; the one given has ${key.length}`, at);
  try {
    const d = createDecipheriv(cipher.name, key, bytes.subarray(0, 16));
    return Buffer.concat([d.update(bytes.subarray(16)), d.final()]);
  } catch {
    throw new Problem(`${what} does not decrypt with the key given: a wrong key`, at);
  }
}

function hashOf(suite: Element): ImportedToken['algorithm'] {
  const s = textOf(suite)
    .trim()
    .toUpperCase()
    .replace(/^HMAC-/, '')
    .replace('-', '');
  if (s === 'SHA1' || s === 'SHA256' || s === 'SHA512') return s;
  throw new Problem(`hash ${textOf(suite).trim().slice(0, 40)} is not supported: HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512`, suite);
}

/** A plain integer as written, or an encrypted one (big-endian bytes, or its digits in ASCII, as python-pskc reads both). */
function integerOf(bytes: Buffer, at: Element, name: string): number {
  const text = bytes.toString('latin1');
  let n: number;
  if (/^-?\d{1,15}$/.test(text.trim())) n = Number(text.trim());
  else if (bytes.length >= 1 && bytes.length <= 6) n = bytes.readUIntBE(0, bytes.length);
  else throw new Problem(`${name} is not a whole number`, at);
  if (name !== 'TimeDrift' && n < 0) throw new Problem(`${name} ${n} is negative`, at);
  return n;
}

function base64(e: Element, what: string): Buffer {
  const text = textOf(e).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Problem(`${what} is not base64`, e);
  return Buffer.from(text, 'base64');
}

function children(e: Element | null, ns: string | null, name: string): Element[] {
  if (!e) return [];
  const out: Element[] = [];
  for (let n = e.firstChild; n; n = n.nextSibling)
    if (
      n.nodeType === 1 &&
      (n as Element).localName === name &&
      (ns === null || (n as Element).namespaceURI === ns || ((n as Element).namespaceURI === null && ns === PSKC))
    )
      out.push(n as Element);
  return out;
}

/** The one child of that name, or null; elements of PBKDF2-params are in no namespace in RFC 6030's figure 7, so ns null takes any. */
function child(e: Element | null, ns: string | null, name: string): Element | null {
  return children(e, ns, name)[0] ?? null;
}

function textOf(e: Element): string {
  return e.textContent ?? '';
}

function lineOf(e: Element): number {
  return (e as Element & { lineNumber?: number }).lineNumber ?? 0;
}
