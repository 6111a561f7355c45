/**
 * The layer rule (eslint-rules/layers.js, set up in eslint.config.js): an import against the
 * layers fails the lint, with the folder's allowed layers in the message, however it is written
 * (alias, dynamic import(), a path that climbs out and back, a .svelte script or its markup);
 * imports down the layers pass.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'esp/layers' || m.fatal).map((m) => m.message);
}

const svelte = (script: string, markup = '<p>probe</p>') => `<script lang="ts">\n  ${script}\n</script>\n\n${markup}\n`;

describe('layer lint', () => {
  it.each([
    ['db/import/probe.ts', "export { x } from '../../studio/src/lib/i18n/index.js';", 'db/ may import only engine, rules, i18n'],
    ['engine/stages/probe.ts', "export type { x } from '../../i18n/catalog.js';", 'engine/ imports nothing'],
    ['i18n/probe.ts', "export { x } from '../db/client.js';", 'i18n/ imports nothing'],
    ['rules/probe.ts', "export { x } from '../db/client.js';", 'rules/ may import only engine of'],
    ['rules/probe.ts', "export { x } from '../i18n/catalog.js';", 'rules/ may import only engine of'],
    ['workflows/activities/probe.ts', "export { x } from '../../studio/src/lib/server/db.js';", 'workflows/ may import only'],
    ['cli/commands/probe.ts', "export { x } from '../../studio/src/lib/server/db.js';", 'cli/ may import only'],
    ['studio/src/lib/server/probe.ts', "export { x } from '../../../../cli/locale.js';", 'studio/ may import only'],
    ['db/probe.ts', "export { x } from '../test/helpers/databases.js';", 'db/ may import only'],
    ['workflows/probe.ts', "export { x } from '../scripts/start.js';", 'workflows/ may import only'],
    // Aliases: the studio's ($lib, $db, …) and the root tsconfig's paths.
    ['db/import/probe.ts', "export { x } from '$workflows/client.js';", 'Refused: $workflows/client.js (reaches workflows/)'],
    ['db/probe.ts', "export { x } from '$lib/server/db.js';", 'reaches studio/'],
    ['engine/probe.ts', "export type { x } from '$i18n/catalog.js';", 'engine/ imports nothing'],
    ['engine/probe.ts', "export { x } from '$db/client.js';", 'reaches db/'],
    ['rules/probe.ts', "export { x } from '$engine/../db/client.js';", 'reaches db/'],
    // Dynamic and type-only imports, require().
    ['db/probe.ts', "export const m = await import('../studio/src/lib/server/db.js');", 'reaches studio/'],
    ['db/probe.ts', 'export const m = await import(`../workflows/client.js`);', 'reaches workflows/'],
    ['db/probe.ts', 'export const m = (name: string) => import(name);', 'a computed import() cannot be checked'],
    ['db/probe.ts', "export type T = import('../workflows/client.js').T;", 'reaches workflows/'],
    ['engine/probe.cjs', "module.exports = require('../db/client.js');", 'engine/ imports nothing'],
    // Paths that are not canonical.
    ['engine/probe.ts', "export { x } from './../db/client.js';", 'reaches db/'],
    ['cli/probe.ts', "export { x } from '../engine/../studio/src/lib/x.js';", 'reaches studio/'],
    ['engine/stages/probe.ts', "export { x } from '.././../workflows/./client.js';", 'reaches workflows/'],
    // A .svelte file's scripts and markup.
    ['studio/src/lib/components/Probe.svelte', svelte("import { x } from '../../../../cli/locale.js';"), 'reaches cli/'],
    ['studio/src/routes/probe/+page.svelte', svelte("const m = import('$db/../scripts/start.js');"), 'reaches scripts/'],
    [
      'studio/src/routes/probe/+page.svelte',
      `<script module lang="ts">\n  export { x } from '../../../../test/helpers/databases.js';\n</script>\n${svelte('let a = 1;', '<p>{a}</p>')}`,
      'reaches test/',
    ],
    [
      'studio/src/routes/probe/+page.svelte',
      svelte('let a = 1;', "{#await import('../../../../cli/locale.js') then m}{m}{a}{/await}"),
      'reaches cli/',
    ],
    // Offsets count UTF-16 units: text before the import that is not plain ASCII keeps them aligned.
    [
      'studio/src/routes/probe/+page.svelte',
      svelte('let a = 1;', "<p>客户 😀</p>\n<button onclick={() => import('$workflows/../cli/locale.js')}>{a}</button>"),
      'reaches cli/',
    ],
  ])('%s: %s is refused', async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it('names the place in a .svelte file', async () => {
    const [result] = await eslint.lintText(svelte("import { x } from '../../../../cli/locale.js';"), {
      filePath: resolve(root, 'studio/src/lib/components/Probe.svelte'),
    });
    expect(result?.messages.map((m) => [m.ruleId, m.line, m.column])).toEqual([['esp/layers', 2, 3]]);
  });

  it.each([
    ['db/import/probe.ts', "export { x } from '../../i18n/catalog.js';"],
    ['rules/probe.ts', "export { x } from '../engine/index.js';"],
    ['workflows/activities/probe.ts', "export { x } from '../../db/client.js';"],
    ['workflows/probe.ts', "export const m = await import('$db/client.js');"],
    ['cli/commands/probe.ts', "export { x } from '../../workflows/client.js';"],
    ['studio/src/routes/rules/[industry]/whatif/probe.ts', "export { x } from '../test/+page.server.js';"],
    ['studio/src/routes/probe/+page.server.ts', "export { x } from '$workflows/client.js';"],
    [
      'studio/src/routes/probe/+page.svelte',
      svelte("import { x } from '$lib/i18n/index.js';\n  import { y } from '$engine/index.js';", '<p>{x}{y}</p>'),
    ],
    ['test/probe.ts', "export { x } from '../scripts/start.js';"],
    ['test/probe.ts', 'export const m = (name: string) => import(name);'],
  ])('%s: %s passes', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
