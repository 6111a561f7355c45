/**
 * The CRM mapping: which source column feeds which ESP+ field. The default
 * (`crm-mapping.default.json`) fits the Maven CRM sample; another CRM export of the same three-file
 * shape (accounts, opportunities, sales teams) needs only a different mapping file. Documented in
 * docs/import.md, "CRM import".
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ExpressionError, parseExpression, type Expr } from './expression.js';
import { msg, rawText, renderMessage, type ImportMessage } from './problems.js';

const column = z.string().trim().min(1);

/**
 * How one field is filled. A bare string is a column name. `map` translates values (matched
 * case-insensitively; unmatched values are kept, lower-cased for `industry`); `multiply` scales a
 * number (the Maven revenue is in millions); `default` fills an empty cell or stands alone for a
 * field the source lacks; `expression` derives a field from others (see expression.ts).
 */
export const fieldSourceSchema = z.union([
  column,
  z.strictObject({
    column,
    map: z.record(z.string(), z.string()).optional(),
    multiply: z.number().finite().optional(),
    default: z.union([z.number(), z.string()]).optional(),
  }),
  z.strictObject({ expression: z.string().trim().min(1), default: z.number().optional() }),
  z.strictObject({ default: z.union([z.number(), z.string()]) }),
]);
export type FieldSource = z.infer<typeof fieldSourceSchema>;

/** Account fields a mapping may fill; status, owner and revenueWithUs always come from the deals. */
export const MAPPABLE_FIELDS = [
  'id',
  'name',
  'industry',
  'region',
  'employees',
  'companyRevenue',
  'parentId',
  'potential',
  'demonstration',
  'winnability',
] as const;
export type MappableField = (typeof MAPPABLE_FIELDS)[number];
export const NUMERIC_FIELDS = new Set<MappableField>([
  'employees',
  'companyRevenue',
  'potential',
  'demonstration',
  'winnability',
]);
/** What an expression may refer to: source-backed numbers and the deal-derived contribution. */
export const EXPRESSION_INPUTS = ['employees', 'companyRevenue', 'revenueWithUs'] as const;

export const crmMappingSchema = z.strictObject({
  $comment: z.string().optional(),
  accounts: z.strictObject({
    id: fieldSourceSchema,
    name: fieldSourceSchema,
    industry: fieldSourceSchema.optional(),
    region: fieldSourceSchema.optional(),
    employees: fieldSourceSchema.optional(),
    companyRevenue: fieldSourceSchema.optional(),
    parentId: fieldSourceSchema.optional(),
    potential: fieldSourceSchema.optional(),
    demonstration: fieldSourceSchema.optional(),
    winnability: fieldSourceSchema.optional(),
  }),
  opportunities: z.strictObject({
    id: column,
    account: column,
    agent: column,
    product: column,
    stage: column,
    engageDate: column.optional(),
    closeDate: column,
    value: column,
    wonStages: z.array(z.string()).min(1).default(['Won']),
    lostStages: z.array(z.string()).default(['Lost']),
    /** An opportunity whose account is not in the accounts file: `skip` it (counted) or make it an `error`. */
    unknownAccounts: z.enum(['skip', 'error']).default('skip'),
  }),
  teams: z.strictObject({
    agent: column,
    manager: column,
    region: column,
  }),
  users: z
    .strictObject({
      /** Agents and managers become users `first.last@<emailDomain>` unless a user with that e-mail exists. */
      emailDomain: z.string().trim().min(1).default('crm.example.com'),
    })
    .default({ emailDomain: 'crm.example.com' }),
});
export type CrmMapping = z.infer<typeof crmMappingSchema>;

export const DEFAULT_MAPPING_FILE = resolve(dirname(fileURLToPath(import.meta.url)), 'crm-mapping.default.json');

export interface MappingIssue extends ImportMessage {
  path: (string | number)[];
  /** The English text. */
  message: string;
}

function mappingIssue(path: (string | number)[], why: ImportMessage): MappingIssue {
  return { path, ...why, message: renderMessage(why) };
}

/** Schema issues plus what the schema cannot say: expressions must parse and name known fields. */
export function checkMapping(
  input: unknown,
): { ok: true; mapping: CrmMapping; expressions: Map<MappableField, Expr> } | { ok: false; issues: MappingIssue[] } {
  const r = crmMappingSchema.safeParse(input);
  if (!r.success)
    return {
      ok: false,
      // zod's own wording: a mapping file is written by an admin who reads the docs' English anyway.
      issues: r.error.issues.map((i) =>
        mappingIssue(
          i.path.map((k) => (typeof k === 'symbol' ? String(k) : k)),
          rawText(i.message),
        ),
      ),
    };
  const issues: MappingIssue[] = [];
  const expressions = new Map<MappableField, Expr>();
  for (const field of MAPPABLE_FIELDS) {
    const source = r.data.accounts[field];
    if (source === undefined || typeof source === 'string') continue;
    if ('expression' in source) {
      if (!NUMERIC_FIELDS.has(field)) {
        issues.push(mappingIssue(['accounts', field, 'expression'], msg('mapping.notNumberExpression', { field })));
        continue;
      }
      try {
        expressions.set(field, parseExpression(source.expression, EXPRESSION_INPUTS));
      } catch (error) {
        const why = error instanceof ExpressionError ? error.why : rawText((error as Error).message);
        issues.push(mappingIssue(['accounts', field, 'expression'], why));
      }
    } else if ('multiply' in source && source.multiply !== undefined && !NUMERIC_FIELDS.has(field)) {
      issues.push(mappingIssue(['accounts', field, 'multiply'], msg('mapping.notNumberMultiply', { field })));
    }
    if ('default' in source && source.default !== undefined && NUMERIC_FIELDS.has(field) && typeof source.default !== 'number')
      issues.push(mappingIssue(['accounts', field, 'default'], msg('mapping.defaultMustBeNumber', { field })));
  }
  for (const field of ['id', 'name'] as const) {
    const source = r.data.accounts[field];
    if (typeof source !== 'string' && !('column' in source))
      issues.push(mappingIssue(['accounts', field], msg('mapping.mustBeColumn', { field })));
  }
  return issues.length ? { ok: false, issues } : { ok: true, mapping: r.data, expressions };
}

export function loadDefaultMapping(): CrmMapping {
  const checked = checkMapping(JSON.parse(readFileSync(DEFAULT_MAPPING_FILE, 'utf8')));
  if (!checked.ok)
    throw new Error(
      `the default CRM mapping is invalid: ${checked.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return checked.mapping;
}

export async function readMappingFile(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}
