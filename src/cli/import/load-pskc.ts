// The PSKC reader and its XML parser, loaded when import --pskc needs them.
// Run from source it is imported as it is; build.mjs replaces this module
// (scripts/web-payload.mjs) with one that evaluates it from a compressed
// payload of dist/astotp, which no call decodes or parses.
import type * as Pskc from './pskc.js';

export type PskcModule = typeof Pskc;

export function loadPskc(): Promise<PskcModule> {
  return import('./pskc.js');
}
