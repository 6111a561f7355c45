// Types for scripts/build.mjs (plain JavaScript so that it runs before dependencies exist).
export declare const ROOT: string;
export declare const OUT_DIR: string;
export declare const WORKFLOW_BUNDLE: string;
export interface BuildOptions {
  log?: (message: string) => void;
}
export declare function buildStale(): string | undefined;
export declare function build(opts?: BuildOptions): Promise<void>;
export declare function ensureBuild(opts?: BuildOptions): Promise<boolean>;
