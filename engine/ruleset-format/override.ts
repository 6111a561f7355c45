/**
 * Industry overrides. An industry rule set states only what differs from the fallback `*`, so an
 * admin never copies a whole set to change one number. Objects merge key by key; rule lists merge
 * by rule `name` (same name replaces, `{ name, remove: true }` removes, new names append); every
 * other array (bands, checklist, matrix, templates) is replaced whole.
 */
import { z } from 'zod';
import { FALLBACK_INDUSTRY, RULE_LISTS, ruleSetSchema, type RuleSet } from './schema.js';

const removeRuleSchema = z
  .strictObject({ name: z.string().min(1), remove: z.literal(true) })
  .meta({ description: 'Removes the inherited rule with this name.' });

function deepPartial(schema: z.ZodType, path: string[]): z.ZodType {
  if (schema instanceof z.ZodDefault) return deepPartial(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, value] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      shape[key] = deepPartial(value, [...path, key]).optional();
    }
    return z.strictObject(shape);
  }
  if (schema instanceof z.ZodArray && isRuleList(path)) {
    return z.array(z.union([removeRuleSchema, schema.element as z.ZodType]));
  }
  return schema;
}

function isRuleList(path: string[]): boolean {
  return RULE_LISTS.some(([section, list]) => path.length === 2 && path[0] === section && path[1] === list);
}

const { industry: _industry, $schema: _s, description: _d, ...sections } = ruleSetSchema.shape;

export const ruleSetOverrideSchema = z
  .strictObject({
    $schema: z.string().optional(),
    industry: z
      .string()
      .min(1)
      .refine((s) => s !== FALLBACK_INDUSTRY, 'an override cannot be the fallback "*"'),
    extends: z.literal(FALLBACK_INDUSTRY).default(FALLBACK_INDUSTRY),
    description: z.string().optional(),
    ...(deepPartial(z.strictObject(sections), []) as z.ZodObject).shape,
  })
  .meta({ title: 'ESP+ industry rule set', description: 'What an industry changes in the fallback "*" rule set.' });

export type RuleSetOverride = { industry: string; extends?: string; description?: string } & DeepPartial<
  Omit<RuleSet, 'industry' | '$schema' | 'description'>
>;

type DeepPartial<T> = T extends readonly (infer E)[]
  ? (E | { name: string; remove: true })[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeRuleList(base: Json[], patch: Json[]): Json[] {
  const out = [...base];
  for (const rule of patch) {
    const name = isPlainObject(rule) ? rule['name'] : undefined;
    const at = out.findIndex((r) => isPlainObject(r) && r['name'] === name);
    const removing = isPlainObject(rule) && rule['remove'] === true;
    if (at >= 0) {
      if (removing) out.splice(at, 1);
      else out[at] = rule;
    } else if (!removing) out.push(rule);
  }
  return out;
}

function mergeAt(base: Json, patch: Json, path: string[]): Json {
  if (patch === undefined) return base;
  if (Array.isArray(patch) && Array.isArray(base) && isRuleList(path)) return mergeRuleList(base, patch);
  if (isPlainObject(patch) && isPlainObject(base)) {
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = mergeAt(base[k], v, [...path, k]);
    return out;
  }
  return patch;
}

/**
 * The effective rule set: the fallback with the override applied. Works on unvalidated JSON so the
 * validator can report problems of the merged result at the paths an admin knows.
 */
export function applyOverride(base: Json, override: Json): Json {
  if (!isPlainObject(override)) return base;
  const { extends: _e, $schema: _sch, ...rest } = override;
  const merged = mergeAt(base, rest, []);
  if (isPlainObject(merged) && isPlainObject(base) && base['$schema'] !== undefined) merged['$schema'] = base['$schema'];
  return merged;
}

/** The inverse of `applyOverride` for the studio: which leaf paths an industry overrides. */
export function overriddenPaths(override: Json, path: string[] = []): string[][] {
  if (!isPlainObject(override)) return [path];
  return Object.entries(override)
    .filter(([k]) => path.length > 0 || !['industry', 'extends', '$schema', 'description'].includes(k))
    .flatMap(([k, v]) => (isPlainObject(v) ? overriddenPaths(v, [...path, k]) : [[...path, k]]));
}

export type { RuleSet };
