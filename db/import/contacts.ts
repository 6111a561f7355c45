/**
 * `esp import contacts <file.csv|file.json>`: the key people at accounts that already exist.
 * Parsing is pure; `importContacts` checks the file against the stored accounts (reporting lines,
 * competitor stances and influence links must point at known contacts and competitors, counting
 * both the file and the database) and writes it all-or-nothing.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { contactSchema, influenceLinkSchema, type Account, type Contact, type InfluenceLink } from '../../engine/model.js';
import type { Db } from '../client.js';
import { accountsBeforeWrite, recordWrittenChanges } from '../repositories/account-changes.js';
import { bumpAccountVersions } from '../repositories/accounts.js';
import { readAccountArray, type ParsedRecords, type RecordIssue } from './account-array.js';
import { accountIssues } from './account-validation.js';
import { IMPORT_BY, isJsonFile } from './accounts.js';
import * as cell from './cells.js';
import { checkWidth, isBlankRow, resolveHeader, type Cell, type ColumnSpec } from './cells.js';
import { parseCsv, syntaxProblem, type CsvOptions, type CsvRow } from './csv.js';
import { formatJsonPath } from './json.js';
import { ImportError, msg, problem, Problems, type ImportMessage, type ProblemLocation } from './problems.js';
import { check, type PathIssue } from './validate.js';
import { upsertContactRows, replaceInfluenceLinksFrom } from '../repositories/contacts.js';
import { CONTACT_FIELDS, type ContactField } from '../contact-fields.js';

/** The fields a file states by name; competitor stances come as `stance:<competitorId>` columns. */
type FileField = Exclude<ContactField, 'competitorStances'>;
const FILE_FIELDS = CONTACT_FIELDS.filter((f): f is FileField => f !== 'competitorStances');

/**
 * One contact as the file states it. Updating a stored contact changes only the fields the file
 * carries; each `stance:<competitorId>` column present sets (or, when empty, clears) that one
 * stance; `influences`, when present, replaces the contact's outgoing influence links.
 */
export interface ContactRecord {
  accountId: string;
  contact: Contact;
  fields: ReadonlySet<FileField>;
  /** Competitor id → stance, or null to clear; only the competitors the file mentions. */
  competitorStances: ReadonlyMap<string, number | null>;
  /** Whether the file states the contact's competitor stances completely (JSON) or per column (CSV). */
  competitorStancesComplete: boolean;
  /** The links this contact exerts (`from` = this contact), when the file states them. */
  influences: InfluenceLink[] | undefined;
  line: number | undefined;
}

export type ParsedContacts = ParsedRecords<ContactRecord>;

export const STANCE_PREFIX = 'stance';

export const CONTACT_CSV_COLUMNS: readonly (ColumnSpec & { type: string; example: string; description: string })[] = [
  {
    name: 'accountId',
    required: true,
    type: 'text',
    example: 'ACME-001',
    description: 'The account (must already exist: import accounts first).',
  },
  {
    name: 'id',
    required: true,
    type: 'text',
    example: 'c-017',
    description: 'Contact id, unique within its account; an existing one is updated.',
  },
  { name: 'name', required: true, type: 'text', example: 'Li Wei', description: 'Full name.' },
  { name: 'title', type: 'text', example: 'CIO', description: 'Job title.' },
  {
    name: 'reportsTo',
    type: 'contact id',
    example: 'c-001',
    description: 'Manager in the org chart (a contact of the same account, in the file or already stored).',
  },
  { name: 'influence', required: true, type: 'whole number 1–5', example: '4', description: '5 = final decision maker.' },
  {
    name: 'decisionRole',
    type: 'decision-maker | influencer | evaluator | user | gatekeeper | coach',
    example: 'evaluator',
    description: 'Role in the buying decision.',
  },
  {
    name: 'behavior',
    type: 'results | relationship | innovation | risk-averse',
    example: 'results',
    description: 'Behavioral orientation.',
  },
  {
    name: 'stance',
    required: true,
    type: '-2…2 or opponent | skeptic | neutral | supporter | champion',
    example: 'supporter',
    description: 'Stance toward us.',
  },
  {
    name: 'interactions90d',
    type: 'whole number ≥ 0',
    example: '3',
    description: 'Our interactions with the person in the last 90 days (default 0).',
  },
  {
    name: 'influences',
    type: 'list `contactId[:weight]; …`',
    example: 'c-001:3; c-020',
    description:
      "Contacts this person influences (the political map), weight 1–3 (default 1); replaces the contact's stored links.",
  },
];

const READERS: Record<string, (raw: string) => Cell<unknown>> = {
  accountId: cell.text,
  id: cell.text,
  name: cell.text,
  title: cell.text,
  reportsTo: cell.text,
  influence: cell.integer,
  decisionRole: (raw) => {
    const t = cell.text(raw);
    return t.ok && t.value ? { ok: true, value: t.value.toLowerCase() } : t;
  },
  behavior: (raw) => {
    const t = cell.text(raw);
    return t.ok && t.value ? { ok: true, value: t.value.toLowerCase() } : t;
  },
  stance: cell.stance,
  interactions90d: cell.integer,
  influences: (raw) => parseInfluencesCell(raw),
};

/** `c-001:3; c-020`: contact ids, each with an optional weight 1–3. */
export function parseInfluencesCell(raw: string): Cell<{ to: string; weight: number }[] | null> {
  const v = raw.trim();
  if (v === '') return { ok: true, value: [] };
  const out: { to: string; weight: number }[] = [];
  for (const entry of v.split(/[;\r\n]+/)) {
    const e = entry.trim();
    if (e === '') continue;
    const colon = e.lastIndexOf(':');
    const to = (colon === -1 ? e : e.slice(0, colon)).trim();
    const weight = colon === -1 ? { ok: true as const, value: 1 } : cell.integer(e.slice(colon + 1));
    if (to === '') return { ok: false, reason: msg('cell.influenceNoContact', { entry: cell.clip(e) }) };
    if (!weight.ok) return { ok: false, reason: msg('cell.influenceWeight', { to, reason: weight.reason }) };
    out.push({ to, weight: weight.value ?? 1 });
  }
  return { ok: true, value: out };
}

export interface ParseOptions {
  file?: string;
  problemLimit?: number;
  csv?: CsvOptions;
}

export function parseContactsCsv(input: string | CsvRow[], options: ParseOptions = {}): ParsedContacts {
  const { file } = options;
  const problems = new Problems(options.problemLimit);
  const locate = (issues: readonly RecordIssue<ContactRecord>[]) =>
    issues.map((i) => problem({ file, line: i.record.line, column: csvColumnOf(i.path) }, i));
  let rows: CsvRow[];
  if (typeof input === 'string') {
    const parsed = parseCsv(input, options.csv);
    problems.addCounted(
      parsed.errors.map((e) => syntaxProblem(file, e)),
      parsed.errorCount,
    );
    rows = parsed.rows;
  } else {
    rows = input;
  }
  const records: ContactRecord[] = [];
  const table = resolveHeader(rows, CONTACT_CSV_COLUMNS, problems, file, [STANCE_PREFIX]);
  if (!table || !problems.ok) return { records, problems, locate };

  const present = CONTACT_CSV_COLUMNS.map((c) => c.name).filter((n) => table.index.has(n));
  const fields = new Set(present.filter((n): n is FileField => (FILE_FIELDS as readonly string[]).includes(n)));
  const stanceColumns = [...table.prefixed.get(STANCE_PREFIX)!];
  const firstLine = new Map<string, number>();

  for (const row of table.rows) {
    if (isBlankRow(row)) continue;
    checkWidth(table, row, problems);
    const lineOf = (i: number | undefined) => (i === undefined ? row.line : (row.lines[i] ?? row.line));
    const input: Record<string, unknown> = {};
    let influences: { to: string; weight: number }[] | undefined;
    // As for accounts: every bad cell is reported, and the schema check skips the cells that failed.
    const failed = new Set<string>();
    for (const name of present) {
      const i = table.index.get(name)!;
      const value = READERS[name]!(row.fields[i] ?? '');
      if (!value.ok) {
        failed.add(name);
        problems.report({ file, line: lineOf(i), column: name }, value.reason);
      } else if (name === 'influences') {
        influences = value.value as { to: string; weight: number }[];
      } else if (value.value !== null) {
        input[name] = value.value;
      }
    }
    const stances = new Map<string, number | null>();
    const competitorStances: Record<string, number> = {};
    for (const [competitorId, i] of stanceColumns) {
      const value = cell.stance(row.fields[i] ?? '');
      if (!value.ok) {
        failed.add(`${STANCE_PREFIX}:${competitorId}`);
        problems.report({ file, line: lineOf(i), column: `${STANCE_PREFIX}:${competitorId}` }, value.reason);
        continue;
      }
      stances.set(competitorId, value.value);
      if (value.value !== null) competitorStances[competitorId] = value.value;
    }
    input['competitorStances'] = competitorStances;

    const accountId = input['accountId'] as string | undefined;
    delete input['accountId'];
    const at = (column: string): ProblemLocation => ({
      file,
      line: lineOf(table.index.get(column) ?? table.prefixed.get(STANCE_PREFIX)!.get(column.slice(STANCE_PREFIX.length + 1))),
      column,
    });
    if (accountId === undefined) {
      if (!failed.has('accountId')) problems.report(at('accountId'), msg('value.required'));
      continue;
    }
    const contactId = input['id'];
    if (typeof contactId === 'string') {
      const key = `${accountId}\u0000${contactId}`;
      const first = firstLine.get(key);
      if (first !== undefined) {
        problems.report(at('id'), msg('contacts.duplicate', { id: cell.clip(contactId), account: cell.clip(accountId), first }));
        continue;
      }
      firstLine.set(key, row.line);
    }
    const result = check(contactSchema, input);
    const issues: PathIssue[] = result.ok ? [] : result.issues;
    let links: InfluenceLink[] | undefined;
    if (influences && typeof contactId === 'string') {
      links = [];
      const seen = new Set<string>();
      for (const inf of influences) {
        const link = check(influenceLinkSchema, { from: contactId, to: inf.to, weight: inf.weight });
        if (!link.ok)
          issues.push(
            ...link.issues.map((i) => ({
              path: ['influences'],
              ...msg('contacts.influenceOn', { to: inf.to, reason: { code: i.code, params: i.params } }),
            })),
          );
        else if (seen.has(inf.to)) issues.push({ path: ['influences'], ...msg('contacts.listedTwice', { id: inf.to }) });
        else if (inf.to === contactId) issues.push({ path: ['influences'], ...msg('contacts.influenceSelf') });
        else {
          seen.add(inf.to);
          links.push(link.value);
        }
      }
    }
    if (result.ok && result.value.reportsTo != null && result.value.reportsTo === result.value.id)
      issues.push({ path: ['reportsTo'], ...msg('ref.contact.reportsToSelf') });
    if (issues.length > 0 || !result.ok || failed.size > 0) {
      for (const issue of issues) {
        const column = csvColumnOf(issue.path);
        if (!failed.has(column)) problems.report(at(column), issue);
      }
      continue;
    }
    records.push({
      accountId,
      contact: result.value,
      fields,
      competitorStances: stances,
      competitorStancesComplete: false,
      influences: links,
      line: row.line,
    });
  }
  return { records, problems, locate };
}

/** A model path's CSV column: competitor stances live in `stance:<id>` columns. */
function csvColumnOf(path: readonly (string | number)[]): string {
  if (path[0] === 'competitorStances' && path[1] !== undefined) return `${STANCE_PREFIX}:${path[1]}`;
  return String(path[0] ?? 'id');
}

// ---- JSON -------------------------------------------------------------------------------------------

const contactsFileEntrySchema = z.object({
  id: z.string().trim().min(1, 'must be a non-empty id'),
  contacts: z.array(z.unknown()).default([]),
  influenceLinks: z.array(z.unknown()).optional(),
});
const KNOWN_CONTACT_KEYS = new Set(Object.keys(contactSchema.shape));

/**
 * The `esp evaluate` format again: an array of accounts, of which this import reads `id`,
 * `contacts` and `influenceLinks` (the other account properties are left to `esp import
 * accounts`, so one file can feed both commands). Contacts are upserted by id; the stated
 * influence links replace the stored links of the contacts they start from.
 */
export function parseContactsJson(text: string, options: ParseOptions = {}): ParsedContacts {
  const firstAt = new Map<string, (string | number)[]>();
  return readAccountArray<ContactRecord>(text, options, msg('contacts.expectedArray'), (item, base, out) => {
    const entry = check(contactsFileEntrySchema, item);
    if (!entry.ok) {
      for (const issue of entry.issues) out.issue({ ...issue, path: [...base, ...issue.path] });
      return;
    }
    const accountId = entry.value.id;
    const contactRecords: ContactRecord[] = [];
    entry.value.contacts.forEach((raw, k) => {
      const at = [...base, 'contacts', k];
      if (raw && typeof raw === 'object' && !Array.isArray(raw))
        for (const key of Object.keys(raw))
          if (!KNOWN_CONTACT_KEYS.has(key)) out.issue({ path: [...at, key], ...msg('value.unknownField', { key }) });
      const c = check(contactSchema, raw);
      if (!c.ok) {
        for (const issue of c.issues) out.issue({ ...issue, path: [...at, ...issue.path] });
        return;
      }
      const key = `${accountId}\u0000${c.value.id}`;
      const first = firstAt.get(key);
      if (first) {
        out.issue({
          path: [...at, 'id'],
          ...msg('contacts.duplicateAt', {
            id: cell.clip(c.value.id),
            account: cell.clip(accountId),
            first: formatJsonPath(first),
          }),
        });
        return;
      }
      firstAt.set(key, at);
      if (c.value.reportsTo != null && c.value.reportsTo === c.value.id)
        out.issue({ path: [...at, 'reportsTo'], ...msg('ref.contact.reportsToSelf') });
      if (c.value.interactions90d > cell.INT32_MAX)
        out.issue({ path: [...at, 'interactions90d'], ...msg('value.atMostBare', { max: cell.INT32_MAX }) });
      const record: ContactRecord = {
        accountId,
        contact: c.value,
        fields: new Set(FILE_FIELDS.filter((f) => f in (raw as object))),
        competitorStances: new Map(Object.entries(c.value.competitorStances)),
        competitorStancesComplete: true,
        influences: undefined,
        line: undefined,
      };
      out.record(record, at);
      contactRecords.push(record);
    });
    if (entry.value.influenceLinks) {
      // Links are grouped under the contact they start from: that contact's stored links are replaced.
      const byFrom = new Map<string, InfluenceLink[]>();
      const seen = new Set<string>();
      entry.value.influenceLinks.forEach((raw, k) => {
        const at = [...base, 'influenceLinks', k];
        const l = check(influenceLinkSchema, raw);
        if (!l.ok) {
          for (const issue of l.issues) out.issue({ ...issue, path: [...at, ...issue.path] });
          return;
        }
        const key = `${l.value.from}\u0000${l.value.to}`;
        if (seen.has(key)) {
          out.issue({ path: at, ...msg('contacts.duplicateLink', { from: l.value.from, to: l.value.to }) });
          return;
        }
        seen.add(key);
        const list = byFrom.get(l.value.from) ?? [];
        list.push(l.value);
        byFrom.set(l.value.from, list);
      });
      for (const r of contactRecords) r.influences = byFrom.get(r.contact.id) ?? [];
      // Links from contacts the file does not list are checked against the stored contacts later.
      for (const [from, links] of byFrom) {
        if (contactRecords.some((r) => r.contact.id === from)) continue;
        out.issue({
          path: [
            ...base,
            'influenceLinks',
            entry.value.influenceLinks.findIndex((l) => (l as InfluenceLink | null)?.from === from),
          ],
          ...(links.length > 1
            ? msg('contacts.linksNeedContactCount', { from, count: links.length })
            : msg('contacts.linksNeedContact', { from })),
        });
      }
    }
  });
}

export async function readContactsFile(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<ParsedContacts> {
  const text = await readFile(file, 'utf8');
  return isJsonFile(file, text) ? parseContactsJson(text, { ...options, file }) : parseContactsCsv(text, { ...options, file });
}

// ---- writing ------------------------------------------------------------------------------------------

export interface ContactImportResult {
  format: 'csv' | 'json';
  contacts: number;
  inserted: number;
  updated: number;
  accounts: number;
  /** Contacts whose outgoing influence links were replaced, and how many links they now have. */
  influenceLists: number;
  influenceLinks: number;
  /** The accounts whose contacts the import wrote: whose workflows to tell. */
  accountIds: string[];
}

/**
 * Checks the contacts against the stored accounts and writes them in one transaction, or throws an
 * `ImportError` (nothing written). References are checked on the account as it will be after the
 * import: the file's contacts merged over the stored ones.
 */
export async function importContacts(
  db: Db,
  parsed: ParsedContacts,
  format: 'csv' | 'json',
  /** Who the audit rows name; default `import`. */
  by: string = IMPORT_BY,
): Promise<ContactImportResult> {
  if (!parsed.problems.ok) throw ImportError.from(parsed.problems);
  const result: ContactImportResult = {
    format,
    contacts: parsed.records.length,
    inserted: 0,
    updated: 0,
    accounts: 0,
    influenceLists: 0,
    influenceLinks: 0,
    accountIds: [],
  };
  const groups = new Map<string, ContactRecord[]>();
  for (const r of parsed.records) {
    const g = groups.get(r.accountId);
    if (g) g.push(r);
    else groups.set(r.accountId, [r]);
  }
  result.accounts = groups.size;
  result.accountIds = [...groups.keys()];

  await db.transaction(async (tx) => {
    const before = await accountsBeforeWrite(tx, [...groups.keys()]);
    const stored = new Map([...before.accounts].map(([id, b]) => [id, b.account]));
    const issues: RecordIssue<ContactRecord>[] = [];
    const toWrite: (Contact & { accountId: string; position: number })[] = [];
    const linkEntries: { accountId: string; from: string; links: InfluenceLink[] }[] = [];

    for (const [accountId, records] of groups) {
      const account = stored.get(accountId);
      if (!account) {
        for (const record of records)
          issues.push({ record, path: ['accountId'], ...msg('contacts.unknownAccount', { id: cell.clip(accountId) }) });
        continue;
      }
      const merged = new Map(account.contacts.map((c) => [c.id, c]));
      const fromFile = new Map<string, ContactRecord>();
      for (const r of records) {
        const existing = merged.get(r.contact.id);
        let contact: Contact;
        if (existing && !r.competitorStancesComplete) {
          contact = { ...existing };
          for (const f of r.fields) (contact as Record<string, unknown>)[f] = r.contact[f];
          const stances = { ...existing.competitorStances };
          for (const [k, v] of r.competitorStances) {
            if (v === null) delete stances[k];
            else stances[k] = v;
          }
          contact.competitorStances = stances;
        } else {
          contact = r.contact;
        }
        merged.set(contact.id, contact);
        fromFile.set(contact.id, r);
      }
      const replacing = new Set(records.filter((r) => r.influences !== undefined).map((r) => r.contact.id));
      const links = [
        ...account.influenceLinks.filter((l) => !replacing.has(l.from)),
        ...records.flatMap((r) => r.influences ?? []),
      ];
      const next: Account = { ...account, contacts: [...merged.values()], influenceLinks: links };
      const anyRecord = records[0]!;
      for (const issue of accountIssues(next)) {
        const [list, index, ...rest] = issue.path;
        const reason: ImportMessage = { code: issue.code, params: issue.params };
        if (list === 'contacts' && typeof index === 'number') {
          const contact = next.contacts[index]!;
          const record = fromFile.get(contact.id);
          if (record) issues.push({ record, path: rest, ...reason });
          else issues.push({ record: anyRecord, path: ['id'], ...msg('contacts.storedContact', { id: contact.id, reason }) });
        } else if (list === 'influenceLinks' && typeof index === 'number') {
          const link = links[index]!;
          const record = fromFile.get(link.from);
          if (record) issues.push({ record, path: ['influences'], ...msg('contacts.influenceOn', { to: link.to, reason }) });
          else
            issues.push({
              record: anyRecord,
              path: ['id'],
              ...msg('contacts.storedLink', { from: link.from, to: link.to, reason }),
            });
        } else {
          issues.push({ record: anyRecord, path: [], ...reason });
        }
      }
      next.contacts.forEach((c, position) => {
        if (!fromFile.has(c.id)) return;
        toWrite.push({ ...c, accountId, position });
        if (account.contacts.some((s) => s.id === c.id)) result.updated++;
        else result.inserted++;
      });
      for (const r of records)
        if (r.influences !== undefined) linkEntries.push({ accountId, from: r.contact.id, links: r.influences });
    }

    if (issues.length > 0) {
      const shown = issues.slice(0, parsed.problems.limit);
      throw new ImportError(parsed.locate(shown), issues.length);
    }
    await upsertContactRows(tx, toWrite);
    await bumpAccountVersions(tx, result.accountIds);
    result.influenceLinks = await replaceInfluenceLinksFrom(tx, linkEntries);
    result.influenceLists = linkEntries.length;
    await recordWrittenChanges(tx, before, by);
  });
  return result;
}

/** Reads, validates and writes a contacts file: `esp import contacts`. */
export async function importContactsFile(
  db: Db,
  file: string,
  { by, ...options }: Omit<ParseOptions, 'file'> & { by?: string } = {},
): Promise<ContactImportResult> {
  const text = await readFile(file, 'utf8');
  const json = isJsonFile(file, text);
  const parsed = json ? parseContactsJson(text, { ...options, file }) : parseContactsCsv(text, { ...options, file });
  return importContacts(db, parsed, json ? 'json' : 'csv', by);
}
