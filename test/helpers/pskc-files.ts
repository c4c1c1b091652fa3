// PSKC files for tests: plain ones written here in the layout token vendors
// ship (a KeyPackage per fob: DeviceInfo with the serial, the Key with its
// algorithm, ResponseFormat, Secret and Counter or TimeInterval), and
// encrypted ones made by Debian's python3-pskc, an implementation
// independent of ours, and read back with its pskc2csv.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pskc');

export interface Fob {
  serial: string;
  kind: 'hotp' | 'totp';
  /** The secret's bytes. */
  secret: Buffer;
  digits?: 6 | 8;
  counter?: number;
  period?: number;
  /** HMAC-SHA1 when not given. */
  suite?: 'HMAC-SHA1' | 'HMAC-SHA256' | 'HMAC-SHA512';
}

/** A plain PSKC file of `fobs`, as a vendor writes one. */
export function plainPskc(fobs: readonly Fob[], manufacturer = 'TokenVendorAcme'): string {
  const pkg = (f: Fob) => `  <KeyPackage>
    <DeviceInfo>
      <Manufacturer>${manufacturer}</Manufacturer>
      <SerialNo>${f.serial}</SerialNo>
    </DeviceInfo>
    <Key Id="${f.serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:${f.kind}">
      <Issuer>${manufacturer}</Issuer>
      <AlgorithmParameters>
${f.suite ? `        <Suite>${f.suite}</Suite>\n` : ''}        <ResponseFormat Length="${f.digits ?? 6}" Encoding="DECIMAL"/>
      </AlgorithmParameters>
      <Data>
        <Secret>
          <PlainValue>${f.secret.toString('base64')}</PlainValue>
        </Secret>
${
  f.kind === 'hotp'
    ? `        <Counter>
          <PlainValue>${f.counter ?? 0}</PlainValue>
        </Counter>`
    : `        <TimeInterval>
          <PlainValue>${f.period ?? 30}</PlainValue>
        </TimeInterval>`
}
      </Data>
    </Key>
  </KeyPackage>
`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
${fobs.map(pkg).join('')}</KeyContainer>
`;
}

/**
 * `fobs` written encrypted by python3-pskc to `path`: with the pre-shared
 * AES-128 key `psk` (hex; section 6.1), or with a key PBKDF2 derives from
 * `passphrase` (section 6.2). Secret and counter are encrypted, each with its MAC.
 */
export function encryptedPskc(path: string, fobs: readonly Fob[], by: { psk: string } | { passphrase: string }): void {
  const script = `
import json, sys, pskc
spec = json.load(sys.stdin)
p = pskc.PSKC()
for f in spec['fobs']:
    kw = dict(serial=f['serial'], secret=bytes.fromhex(f['secret']), response_length=f['digits'],
              algorithm='urn:ietf:params:xml:ns:keyprov:pskc:' + f['kind'])
    if f['kind'] == 'hotp': kw['counter'] = f['counter']
    else: kw['time_interval'] = f['period']
    if f.get('suite'): kw['algorithm_suite'] = f['suite']
    p.add_key(**kw)
if 'psk' in spec: p.encryption.setup_preshared_key(key=bytes.fromhex(spec['psk']), fields=['secret', 'counter'])
else: p.encryption.setup_pbkdf2(spec['passphrase'], iterations=2000, fields=['secret', 'counter'])
p.write(spec['path'])
`;
  const spec = {
    path,
    ...by,
    fobs: fobs.map((f) => ({
      ...f,
      secret: f.secret.toString('hex'),
      digits: f.digits ?? 6,
      counter: f.counter ?? 0,
      period: f.period ?? 30,
    })),
  };
  // Debian's python3, where python3-pskc is: not one a version manager put first on PATH.
  execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(spec) });
}

/** What pskc2csv reads from an encrypted file: serial, hex secret, counter or time step, digits. */
export function pskc2csv(path: string, by: { keyFile: string } | { passphraseFile: string }): string[][] {
  const out = execFileSync(
    'pskc2csv',
    [
      ...('keyFile' in by ? ['-s', by.keyFile] : ['-p', by.passphraseFile]),
      '-c',
      'serial,secret,counter,time_interval,response_length',
      path,
    ],
    { encoding: 'utf8' },
  );
  return out
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(','));
}

export function writeText(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
