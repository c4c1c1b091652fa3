// The authority's HTTP responder. It holds the private key, so it answers only
// well-formed GET requests for allowed groups and treats every other request as
// hostile: bounded URL, strict decoding, escaped output, no caching.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseChallenge } from '../pbotp/challenge-text.js';
import { checkCodeDigits, checkPhraseWords, groupCode, toCode, toPhrase } from '../pbotp/encode.js';
import { CODE_DIGITS_DEFAULT, PHRASE_WORDS_DEFAULT } from '../pbotp/limits.js';
import { PbotpInputError } from '../pbotp/errors.js';
import { formatKey, publicKeyOf } from '../pbotp/keys.js';
import { checkLogin, loginData, type LoginFields } from '../pbotp/login.js';
import { errorPage, homePage, responsePage, type FormValues } from './pages.js';
import { respond } from '../pbotp/protocol.js';
import { challengePath, decodeSegment } from '../pbotp/url.js';

export interface PbotpServerOptions {
  privateKey: Uint8Array;
  /** Shown on the home page, e.g. "astotp 0.1.0". */
  version?: string;
  codeDigits?: number;
  phraseWords?: number;
  /** Groups that may get codes; undefined allows every group. */
  allowGroups?: readonly string[];
  /** Further policy, asked after allowGroups; false answers 403. */
  allow?: (login: LoginFields, remoteAddress: string) => boolean;
  /** Receives one line per request: time, remote address, method, path, status. */
  accessLog?: (line: string) => void;
}

const MAX_URL_LENGTH = 2048;

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', ...headers });
  res.end(html);
}

/** Printable ASCII only and bounded, so a request cannot forge or flood log lines. */
function logSafe(text: string, max = 300): string {
  const clean = text.replace(/[^\x21-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

export function createPbotpServer(opts: PbotpServerOptions): Server {
  const privateKey = Uint8Array.from(opts.privateKey);
  const publicKey = formatKey(publicKeyOf(privateKey));
  const version = opts.version ?? 'astotp';
  const codeDigits = opts.codeDigits ?? CODE_DIGITS_DEFAULT;
  const phraseWords = opts.phraseWords ?? PHRASE_WORDS_DEFAULT;
  checkCodeDigits(codeDigits);
  checkPhraseWords(phraseWords);
  const allowGroups = opts.allowGroups === undefined ? undefined : new Set(opts.allowGroups);

  const allowed = (login: LoginFields, remote: string): boolean =>
    (allowGroups === undefined || allowGroups.has(login.group)) && (opts.allow?.(login, remote) ?? true);

  function home(res: ServerResponse, query: string): void {
    const params = new URLSearchParams(query);
    const names = ['group', 'host', 'user', 'challenge'] as const;
    if (!names.some((n) => params.has(n))) return send(res, 200, homePage(version, publicKey));
    const values: FormValues = {};
    for (const n of names) values[n] = (params.get(n) ?? '').trim();
    try {
      const login = { group: values.group ?? '', host: values.host ?? '', user: values.user ?? '' };
      checkLogin(login);
      const challenge = parseChallenge(values.challenge ?? '');
      // Relative, so the redirect also works behind a proxy that adds a path prefix.
      send(res, 303, '', { Location: `./${challengePath(login, challenge)}` });
    } catch (err) {
      if (!(err instanceof PbotpInputError)) throw err;
      send(res, 400, homePage(version, publicKey, values, err.message));
    }
  }

  function answer(res: ServerResponse, segments: string[], remote: string): void {
    let login: LoginFields;
    try {
      const [group, host, user] = segments.slice(0, 3).map((s, i) => decodeSegment(s, ['group', 'host', 'user'][i]!)) as [
        string,
        string,
        string,
      ];
      login = { group, host, user };
      checkLogin(login);
    } catch (err) {
      if (!(err instanceof PbotpInputError)) throw err;
      return send(res, 400, errorPage(400, err.message));
    }
    if (!allowed(login, remote)) return send(res, 403, errorPage(403, `group "${login.group}" is not served here`));
    let response: Uint8Array;
    try {
      const challenge = parseChallenge(decodeSegment(segments[3]!, 'challenge'));
      response = respond(privateKey, challenge, loginData(login));
    } catch (err) {
      if (!(err instanceof PbotpInputError)) throw err;
      return send(res, 400, errorPage(400, err.message));
    }
    send(res, 200, responsePage(login, groupCode(toCode(response, codeDigits)), toPhrase(response, phraseWords)));
  }

  function handle(req: IncomingMessage, res: ServerResponse, remote: string): void {
    const url = req.url ?? '';
    if (url.length > MAX_URL_LENGTH) return send(res, 414, errorPage(414, 'URL too long'));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, errorPage(405, 'only GET and HEAD are allowed'), { Allow: 'GET, HEAD' });
    }
    if (!url.startsWith('/')) return send(res, 400, errorPage(400, 'bad request target'));
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/') return home(res, q === -1 ? '' : url.slice(q + 1));
    const segments = path.slice(1).split('/');
    if (segments.length !== 4) return send(res, 404, errorPage(404, 'not found: expected /group/host/user/challenge'));
    answer(res, segments, remote);
  }

  const server = createServer((req, res) => {
    const remote = req.socket.remoteAddress ?? '-';
    res.on('close', () => {
      opts.accessLog?.(
        `${new Date().toISOString()} ${logSafe(remote)} ${logSafe(req.method ?? '-')} ${logSafe(req.url ?? '-')} ${res.statusCode}`,
      );
    });
    try {
      handle(req, res, remote);
    } catch {
      if (!res.headersSent) send(res, 500, errorPage(500, 'internal error'));
      else res.destroy();
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}
