// The types of build-if-stale.mjs, for the test that imports it.
export declare const INPUT_DIRS: string[];
export declare const INPUT_FILES: string[];
export declare const IGNORED: string[];
export declare const STAMP: string;
export declare const BEGUN: string;
export declare function newestInput(root: string): { file: string; mtimeMs: number } | undefined;
export declare function staleness(root: string): { stale: boolean; why: string };
export declare function markBegin(root: string): void;
export declare function markDone(root: string): void;
