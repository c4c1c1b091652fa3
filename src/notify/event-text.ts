// How an account event is written for machines and people: one syslog
// line, the JSON a notify command reads, the fields of an Asterisk
// UserEvent. Caller ID and channel names come from the caller's side, so
// every field is cut down to characters that cannot start a line, a field or
// a header of its own.
import type { AccountEvent } from '../auth/account-events.js';

/** Letters, digits and a few harmless marks; anything else becomes ?. */
function shownField(v: string): string {
  return v.replace(/[^A-Za-z0-9 _.@+/:-]/g, '?').slice(0, 80);
}

function isoTime(at: number): string {
  return new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** key=value pairs, in a fixed order, each value filtered. */
function eventFields(e: AccountEvent): Array<[string, string]> {
  const fields: Array<[string, string | undefined]> = [
    ['event', e.kind],
    ['user', e.user],
    ['at', isoTime(e.at)],
    ['source', e.source],
    ['pbx', e.pbx],
    ['until', e.until === undefined ? undefined : e.until === null ? 'unlocked by an admin' : isoTime(e.until)],
    ['count', e.count === undefined ? undefined : String(e.count)],
    ['callerid', e.callerId],
    ['channel', e.channel],
    ['uniqueid', e.uniqueId],
  ];
  return fields.flatMap(([k, v]) => (v === undefined || v === '' ? [] : [[k, shownField(v)] as [string, string]]));
}

// AMI's own headers of a UserEvent: a field of that name would be a second
// header of the name, and an AMI client that keeps one value per name would
// lose Asterisk's (a listener waiting for "Event: UserEvent" would miss the
// event altogether). Asterisk sets Channel and Uniqueid from the channel
// itself, unfiltered and beyond a caller's reach, so those go, and the event's
// kind is named Kind.
const AMI_OWN = new Set(['channel', 'uniqueid']);

/** The UserEvent's headers after its name: `Kind: lock`, `User: 1001`, ... */
export function userEventFields(e: AccountEvent): Array<[string, string]> {
  return eventFields(e).flatMap(([k, v]) =>
    AMI_OWN.has(k) ? [] : [[k === 'event' ? 'Kind' : k[0]!.toUpperCase() + k.slice(1), v] as [string, string]],
  );
}

/** The syslog line: `astotp event lock user=1001 ...`. */
export function eventLine(e: AccountEvent): string {
  const [[, kind] = ['', ''], ...rest] = eventFields(e);
  return `event ${kind} ${rest.map(([k, v]) => `${k}=${v.includes(' ') ? `"${v}"` : v}`).join(' ')}`;
}

/** The JSON object a notify command gets on stdin: the fields as written, times as ISO text. */
export function eventJson(e: AccountEvent): string {
  return JSON.stringify(Object.fromEntries(eventFields(e)));
}
