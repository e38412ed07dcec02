// The types of client-bundle.mjs, for the test that imports it.
import type { BuildOptions } from 'esbuild';
export declare const BROWSER_ESM: BuildOptions;
export declare const CAROM_CLIENT: { entryPoints: string[]; tsconfig: string };
export declare function bundleSize(
  options: BuildOptions,
): Promise<{ minified: number; gzipped: number }>;
