// Lint the TypeScript sources (the studio's .ts files included) with typescript-eslint's
// recommended rules; the studio's .svelte files are checked by svelte-check, and only their
// <script> imports pass through the layer rule here.
import tseslint from 'typescript-eslint';
import { espPlugin } from './eslint-rules/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools', 'dist/', '.dist-*/', '.scratch/', 'studio/build/', 'studio/.svelte-kit/', 'test-artifacts/', 'db/migrations/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // The layers, one way down (docs/architecture.md; the folders and what each may import are
  // listed in eslint-rules/layers.js). `scripts`, `bench` and `test` sit on top.
  { files: ['**/*.svelte'], plugins: { esp: espPlugin }, processor: 'esp/svelte-scripts' },
  { files: ['**/*.{ts,mts,cts,js,mjs,cjs}'], plugins: { esp: espPlugin }, rules: { 'esp/layers': 'error' } },
);
