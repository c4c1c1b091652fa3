// The web server and the mail sender, loaded when serve-web or invite --send
// needs them. Run from source they are imported as they are; build.mjs
// replaces this module (scripts/web-payload.mjs) with one that evaluates
// them from a compressed payload of dist/astotp, which no call decodes.
import type * as Web from './entry.js';

export type WebModule = typeof Web;

export function loadWeb(): Promise<WebModule> {
  return import('./entry.js');
}
