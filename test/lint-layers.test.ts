/**
 * The layer rule in eslint.config.js: an import against the layers fails the lint, with the
 * folder's allowed layers in the message; imports down the layers pass.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer lint', () => {
  it.each([
    ['db/import/probe.ts', "export { x } from '../../studio/src/lib/i18n/index.js';", 'db/ may import only engine, rules, i18n'],
    ['engine/stages/probe.ts', "export type { x } from '../../i18n/catalog.js';", 'engine/ imports nothing'],
    ['i18n/probe.ts', "export { x } from '../db/client.js';", 'i18n/ imports nothing'],
    ['rules/probe.ts', "export { x } from '../db/client.js';", 'rules/ may import only engine, i18n'],
    ['workflows/activities/probe.ts', "export { x } from '../../studio/src/lib/server/db.js';", 'workflows/ may import only'],
    ['cli/commands/probe.ts', "export { x } from '../../studio/src/lib/server/db.js';", 'cli/ may import only'],
    ['studio/src/lib/server/probe.ts', "export { x } from '../../../../cli/locale.js';", 'studio/ may import only'],
    ['db/probe.ts', "export { x } from '../test/helpers/databases.js';", 'db/ may import only'],
    ['workflows/probe.ts', "export { x } from '../scripts/start.js';", 'workflows/ may import only'],
  ])('%s: %s is refused', async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['db/import/probe.ts', "export { x } from '../../i18n/catalog.js';"],
    ['workflows/activities/probe.ts', "export { x } from '../../db/client.js';"],
    ['cli/commands/probe.ts', "export { x } from '../../workflows/client.js';"],
    ['studio/src/routes/rules/[industry]/whatif/probe.ts', "export { x } from '../test/+page.server.js';"],
    ['test/probe.ts', "export { x } from '../scripts/start.js';"],
  ])('%s: %s passes', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
