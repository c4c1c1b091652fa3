// The one --listen grammar of serve-agi and pbotp serve, through the bundle:
// what each accepts it listens on, what it refuses ends with exit 2 before
// anything listens.
import { describe, expect, it } from 'vitest';
import { parseListen } from '../src/cli/listen-address.js';
import { UsageError } from '../src/cli/errors.js';
import { CliSite } from './helpers/cli-site.js';

describe('--listen', () => {
  it('takes PORT, HOST:PORT and [IPv6]:PORT', () => {
    expect(parseListen('4573')).toEqual({ host: '127.0.0.1', port: 4573 });
    expect(parseListen('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:4573')).toEqual({ host: '::1', port: 4573 });
  });

  it.each(['', 'nonsense', 'host:', ':', '::1:4573', '[::1]', 'a b:80', 'host:123456', 'host:65536'])(
    'refuses %j as a usage error',
    (text) => {
      expect(() => parseListen(text)).toThrow(UsageError);
    },
  );

  it('is the same for serve-agi and pbotp serve', () => {
    const site = new CliSite();
    try {
      for (const server of [['serve-agi'], ['pbotp', 'serve', '--key', site.keyFile]]) {
        const r = site.cli([...server, '--listen', 'nonsense']);
        expect([server, r.status]).toEqual([server, 2]);
        expect(r.stderr).toMatch(/^astotp: --listen "nonsense" is not PORT, HOST:PORT or \[IPv6\]:PORT$/m);
      }
    } finally {
      site.remove();
    }
  });
});
