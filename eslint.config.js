// Lint the TypeScript sources (the studio's .ts files included) with typescript-eslint's
// recommended rules; the studio's .svelte files are checked by svelte-check instead.
import tseslint from 'typescript-eslint';

// The layers, one way down (docs/architecture.md): each folder may import only the folders listed
// for it. `scripts`, `bench` and `test` sit on top and may import anything; nothing else imports them.
const LAYERS = {
  engine: [],
  i18n: [],
  rules: ['engine', 'i18n'],
  db: ['engine', 'rules', 'i18n'],
  workflows: ['engine', 'rules', 'i18n', 'db'],
  studio: ['engine', 'rules', 'i18n', 'db', 'workflows'],
  cli: ['engine', 'rules', 'i18n', 'db', 'workflows'],
};
const FOLDERS = [...Object.keys(LAYERS), 'scripts', 'bench', 'test'];

// Deeper than any folder of the project goes today; layerRules() covers each depth exactly.
const MAX_DEPTH = 12;

/**
 * For a file `depth` folders down, a relative import climbs to the project root with exactly
 * `depth` `../`, so the rule names the top-level folder it lands in, not a subfolder of the same
 * name (the studio's `routes/rules/`).
 */
function layerRules(folder, allowed) {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  const message = allowed.length
    ? `${folder}/ may import only ${allowed.join(', ')} of the project (the layers in docs/architecture.md).`
    : `${folder}/ imports nothing of the project (the layers in docs/architecture.md).`;
  return Array.from({ length: MAX_DEPTH }, (_, i) => ({
    files: [`${folder}/${'*/'.repeat(i)}*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: `^(\\.\\./){${i + 1}}(${forbidden.join('|')})/`, message }] }],
    },
  }));
}

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools', 'dist/', '.dist-*/', '.scratch/', 'studio/build/', 'studio/.svelte-kit/', 'test-artifacts/', 'db/migrations/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...Object.entries(LAYERS).flatMap(([folder, allowed]) => layerRules(folder, allowed)),
);
