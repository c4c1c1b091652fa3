// Throwaway X.509 certificates made with the openssl command: a CA and
// server certificates it signs, so tests can check certificate verification
// against a real TLS server. EC P-256 keys: quick to make, and every TLS
// stack in use takes them.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed CA in `dir`, named `name` (files NAME.crt and NAME.key). */
export async function makeCa(dir: string, name: string): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    files.key,
    '-out',
    files.cert,
  ]);
  return files;
}

/**
 * A server certificate signed by `ca` for these DNS names and IP addresses
 * (clients check the subjectAltName, not the CN), in `dir` as NAME.crt and
 * NAME.key, the key readable by its owner only.
 */
export async function makeServerCert(ca: CertFiles, dir: string, name: string, hosts: { dns: string[]; ip: string[] }): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const san = [...hosts.dns.map((h) => `DNS:${h}`), ...hosts.ip.map((h) => `IP:${h}`)].join(',');
  writeFileSync(
    ext,
    `subjectAltName=${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await run('openssl', ['req', '-new', ...EC_KEY, '-subj', `/CN=${hosts.dns[0] ?? name}`, '-keyout', files.key, '-out', csr]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    files.cert,
  ]);
  return files;
}
