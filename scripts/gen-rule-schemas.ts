/**
 * Writes the JSON Schemas of the rule set format (for editors and the studio's JSON view) from the
 * zod schemas, the one source of truth. `--check` fails when the committed files are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FACTS, RULE_SECTIONS, type FactDefinition } from '../engine/json-rules/facts.js';
import { RULE_OPERATORS } from '../engine/ruleset-format/conditions.js';
import { ruleSetOverrideSchema } from '../engine/ruleset-format/override.js';
import { ruleSetSchema } from '../engine/ruleset-format/schema.js';

const RULES_DIR = join(import.meta.dirname, '..', 'rules');

function typeName(f: FactDefinition): string {
  const t = f.type;
  if (t.kind === 'enum') return `one of ${t.values.map((v) => `\`${v}\``).join(', ')}`;
  if (t.kind === 'set') return `set of ${t.values.map((v) => `\`${v}\``).join(', ')}`;
  return t.kind;
}

/** The fact catalogue as a table: what rules may use, its type, meaning and from which list on. */
function factsMarkdown(): string {
  const lists = RULE_SECTIONS.join(' → ');
  return [
    '# Facts that rules may use',
    '',
    `Generated from \`engine/json-rules/facts.ts\` by \`npm run gen:schemas\`; do not edit. Rule lists run in the order ${lists};`,
    'a fact is available from the list named in "from" on. Operators: ' + RULE_OPERATORS.map((o) => `\`${o}\``).join(', ') + '.',
    '',
    '| fact | type | from | meaning |',
    '|---|---|---|---|',
    ...FACTS.map((f) => `| \`${f.name}\` | ${typeName(f)} | ${f.from} | ${f.description.replaceAll('|', '\\|')} |`),
    '',
  ].join('\n');
}

export function ruleSchemaFiles(): Record<string, string> {
  const render = (schema: z.ZodType, id: string) =>
    `${JSON.stringify({ $id: id, ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) }, null, 2)}\n`;
  return {
    'ruleset.schema.json': render(ruleSetSchema, 'ruleset.schema.json'),
    'override.schema.json': render(ruleSetOverrideSchema, 'override.schema.json'),
    'FACTS.md': factsMarkdown(),
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
