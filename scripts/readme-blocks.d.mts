// Types for readme-blocks.mjs, which the tests use to take the README's blocks as printed.
export function readmeBlock(markdown: string, intro: string): string;
