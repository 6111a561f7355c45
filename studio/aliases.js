/**
 * Import aliases for the project's modules beside the studio, used by every studio file instead of
 * `../../../../db/...` chains. Route files must use them: SvelteKit type-checks route files through
 * generated proxies in `.svelte-kit/types/`, from where relative paths resolve to nothing and
 * silently become `any`. vitest (vitest.config.ts) and the root tsconfig.json (`paths`, which tsx
 * also reads) resolve the same aliases, so tests and the bench load studio modules and route files.
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
