/** Types for the part of layers.js that TypeScript code reads: which folders each layer may import. */
export declare const LAYERS: Readonly<
  Record<'engine' | 'i18n' | 'rules' | 'db' | 'workflows' | 'studio' | 'cli', readonly string[]>
>;
