/**
 * Import aliases for the project's modules beside the studio. Route files must use these rather
 * than `../../../../db/...`: SvelteKit type-checks route files through generated proxies in
 * `.svelte-kit/types/`, from where such relative paths resolve to nothing and silently become
 * `any`. Modules under `src/lib/server/` import by relative path instead, so vitest and tsx can
 * load them without this configuration. (vitest can use these too: `resolve: { alias: studioAliases }`.)
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const studioDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(studioDir, '..');

export const studioAliases = {
  $db: resolve(projectRoot, 'db'),
  $engine: resolve(projectRoot, 'engine'),
  $i18n: resolve(projectRoot, 'i18n'),
  $workflows: resolve(projectRoot, 'workflows'),
  $lib: resolve(studioDir, 'src/lib'),
};
