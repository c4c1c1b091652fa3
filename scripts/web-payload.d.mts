// Types of web-payload.mjs, for the tests that read its list.
export declare const CARRIED: readonly string[];
export declare function webPayload(opts: { root: string; payloadModule: string }): Promise<{
  bytes: Buffer;
  hosts: string[];
  modules: string[];
  generated: Record<string, () => string>;
}>;
export declare function pskcPayload(opts: { root: string; payloadModule: string }): Promise<{
  bytes: Buffer;
  hosts: string[];
  modules: string[];
  generated: Record<string, () => string>;
}>;
