/**
 * Writes the JSON Schemas of the rule set format (for editors and the studio's JSON view) from the
 * zod schemas, the one source of truth. `--check` fails when the committed files are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ruleSetOverrideSchema } from '../engine/ruleset/override.js';
import { ruleSetSchema } from '../engine/ruleset/schema.js';

const RULES_DIR = join(import.meta.dirname, '..', 'rules');

export function ruleSchemaFiles(): Record<string, string> {
  const render = (schema: z.ZodType, id: string) =>
    `${JSON.stringify({ $id: id, ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) }, null, 2)}\n`;
  return {
    'ruleset.schema.json': render(ruleSetSchema, 'ruleset.schema.json'),
    'override.schema.json': render(ruleSetOverrideSchema, 'override.schema.json'),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of Object.entries(ruleSchemaFiles())) {
    const path = join(RULES_DIR, file);
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        /* missing counts as stale */
      }
      if (current !== text) {
        stale++;
        console.error(`${path} is out of date: run npm run gen:schemas`);
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
