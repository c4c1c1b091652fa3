// Asking another machine what time it is: SNTP (RFC 4330) over UDP, or the
// Date header of an HTTP response. Each answers with the offset of that
// machine's clock from this one's, in ms: positive when this PBX is behind.
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ClockSource } from '../../config/clock-source.js';

const TIMEOUT_MS = 3_000;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export function offsetFrom(source: ClockSource): Promise<number> {
  return source.kind === 'ntp' ? sntpOffset(source.host, source.port) : httpDateOffset(source.url);
}

function readNtp(b: Buffer, at: number): number {
  return (b.readUInt32BE(at) - NTP_UNIX_OFFSET) * 1000 + (b.readUInt32BE(at + 4) * 1000) / 2 ** 32;
}

function writeNtp(b: Buffer, at: number, ms: number): void {
  b.writeUInt32BE(Math.floor(ms / 1000) + NTP_UNIX_OFFSET, at);
  b.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
}

function sntpOffset(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err: Error | null, offset?: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(offset!);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
    const request = Buffer.alloc(48);
    request[0] = 0x23; // no leap warning, version 4, mode 3 (client)
    const sent = Date.now();
    writeNtp(request, 40, sent);
    socket.on('error', (err) => done(err));
    socket.on('message', (reply) => {
      const back = Date.now();
      // Only the answer to this request counts: it echoes our transmit time as its originate time.
      if (reply.length < 48 || (reply[0]! & 7) !== 4 || !reply.subarray(24, 32).equals(request.subarray(40, 48))) return;
      if (reply[1] === 0) return done(new Error("the server refused (kiss-o'-death)"));
      const received = readNtp(reply, 32);
      const transmitted = readNtp(reply, 40);
      done(null, Math.round((received - sent + (transmitted - back)) / 2));
    });
    socket.send(request, port, host);
  });
}

async function httpDateOffset(url: string): Promise<number> {
  const sent = Date.now();
  const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  const back = Date.now();
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isNaN(date)) throw new Error('the answer has no Date header');
  // A Date header is cut to the second: the server's time lies within the second after it.
  return Math.round(date + 500 - (sent + back) / 2);
}
