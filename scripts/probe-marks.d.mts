// Types for the parts of probe-marks.mjs the tests use.
export function moduleName(path: string): string;
export function bundledModules(metafile: { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }): string[];
