/**
 * `esp import crm`: a CRM export (accounts, opportunities, sales teams) turned into ESP+ accounts,
 * opportunities, users and teams. `planCrmImport` is pure — it reads rows and a mapping and says
 * exactly what would be written — and `importCrm` writes the plan in one transaction. The
 * derivation rules are documented in docs/import.md, "CRM import".
 */
import { accountSchema, type Account, type AccountStatus } from '../../engine/model.js';
import { NO_PASSWORD } from '../auth/password.js';
import type { Db } from '../client.js';
import { addMembers, upsertTeams } from '../repositories/teams.js';
import type { OpportunityStatus } from '../schema.js';
import * as cell from './cells.js';
import { readCsvFile, syntaxProblem, type CsvRow } from './csv.js';
import { evaluate } from './expression.js';
import {
  checkMapping,
  loadDefaultMapping,
  MAPPABLE_FIELDS,
  NUMERIC_FIELDS,
  type CrmMapping,
  type FieldSource,
  type MappableField,
} from './crm-mapping.js';
import { ImportError, msg, Problems, type ImportMessage, type ImportProblem } from './problems.js';
import { check } from './validate.js';
import { PROFILE_FIELDS, type ProfileField } from '../profile-fields.js';
import { storedProfileFields, upsertAccountProfiles } from '../repositories/account-profiles.js';
import { upsertOpportunityRows } from '../repositories/opportunities.js';
import { accountsBeforeWrite, recordWrittenChanges } from '../repositories/account-changes.js';
import { IMPORT_BY } from './accounts.js';
import { userIdsByEmail, insertMissingUsers } from '../repositories/users.js';
import { isCalendarDate } from '../../engine/calendar-date.js';

export interface CrmFiles {
  accounts: string;
  opportunities: string;
  teams: string;
}

export interface CrmRows {
  accounts: CsvRow[];
  opportunities: CsvRow[];
  teams: CsvRow[];
}

// The CRM knows nothing of these: an update must not reset what the studio recorded.
const NOT_FROM_CRM: readonly ProfileField[] = ['competitorsNoneKnown', 'previousCloseness', 'solution', 'businessValue'];
/** Fields that the source did not supply and a default or an expression filled. */
export type DefaultedField =
  'potential' | 'demonstration' | 'winnability' | 'industry' | 'region' | 'employees' | 'companyRevenue' | 'parentId' | 'name';

export interface PlannedAccount {
  account: Account;
  /** The profile stage reports these as missing even though a value was filled in. */
  importedDefaults: DefaultedField[];
  line: number;
  /** Deal figures behind status and revenue, for the summary and for checking by hand. */
  deals: {
    total: number;
    won: number;
    wonLast12: number;
    revenueLast12: number;
    revenuePrevious12: number;
    lastWonDate: string | null;
  };
}

export interface PlannedOpportunity {
  id: string;
  accountId: string;
  title: string;
  estimatedValue: number | null;
  status: OpportunityStatus;
  stage: string;
  engageDate: string | null;
  closeDate: string | null;
  /** The agent's name; the writer turns it into the user id. */
  agent: string;
}

export interface PlannedUser {
  /** The person's name as the CRM writes it (the key the other files use). */
  name: string;
  email: string;
  kind: 'agent' | 'manager';
  manager: string | null;
  region: string | null;
}

export interface PlannedTeam {
  id: string;
  /** None for a region team; the manager's name for a manager's team (see the plan's teams). */
  name: string | null;
  line: 'regional';
  /** Member names (the writer resolves them to user ids). */
  members: string[];
}

export interface CrmPlan {
  asOf: string;
  window: { last12: { from: string; to: string }; previous12: { from: string; to: string } };
  accounts: PlannedAccount[];
  opportunities: PlannedOpportunity[];
  users: PlannedUser[];
  teams: PlannedTeam[];
  skipped: { withoutAccount: number; unknownAccount: number; unknownAccountIds: string[] };
  problems: Problems;
}

export function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const year = y - years;
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** `Mei-Mei Johns` → `mei-mei.johns`: the local part of a generated e-mail. */
export function emailLocalPart(name: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .trim()
      .replace(/\s+/g, '.')
      .replace(/[^a-z0-9.-]/g, '')
      .replace(/\.+/g, '.')
      .replace(/^\.|\.$/g, '') || 'user'
  );
}

export function slug(name: string): string {
  return emailLocalPart(name).replace(/\./g, '-');
}

interface Header {
  file: string | undefined;
  index: Map<string, number>;
}

/** CRM exports carry columns we do not map; only the mapped ones must be present. */
function header(rows: CsvRow[], needed: readonly string[], file: string | undefined, problems: Problems): Header | undefined {
  const first = rows[0];
  if (!first) {
    problems.report({ file }, msg('header.empty'));
    return undefined;
  }
  const index = new Map<string, number>();
  first.fields.forEach((f, i) => {
    const key = f.trim().toLowerCase();
    if (key !== '' && !index.has(key)) index.set(key, i);
  });
  let ok = true;
  for (const name of new Set(needed)) {
    if (!index.has(name.toLowerCase())) {
      ok = false;
      problems.report(
        { file, line: first.line, column: name },
        msg('header.mappedColumnMissing', { name, columns: first.fields.map((f) => f.trim()).join(', ') }),
      );
    }
  }
  return ok ? { file, index } : undefined;
}

function cellOf(h: Header, row: CsvRow, name: string): { raw: string; line: number } {
  const i = h.index.get(name.toLowerCase());
  if (i === undefined) return { raw: '', line: row.line };
  return { raw: row.fields[i] ?? '', line: row.lines[i] ?? row.line };
}

function sourceColumn(source: FieldSource | undefined): string | undefined {
  if (source === undefined) return undefined;
  if (typeof source === 'string') return source;
  return 'column' in source ? source.column : undefined;
}

/**
 * What the import would write, or the problems that stop it. `asOf` is the day the 12-month
 * windows end on (inclusive).
 */
export function planCrmImport(
  rows: CrmRows,
  mappingInput: unknown,
  asOf: string,
  files: Partial<CrmFiles> = {},
  problemLimit?: number,
): CrmPlan {
  const problems = new Problems(problemLimit);
  const last12From = yearsBefore(asOf, 1);
  const previousFrom = yearsBefore(asOf, 2);
  const plan: CrmPlan = {
    asOf,
    // `from` is exclusive, `to` inclusive: (asOf − 1 year, asOf].
    window: { last12: { from: last12From, to: asOf }, previous12: { from: previousFrom, to: last12From } },
    accounts: [],
    opportunities: [],
    users: [],
    teams: [],
    skipped: { withoutAccount: 0, unknownAccount: 0, unknownAccountIds: [] },
    problems,
  };
  if (!isCalendarDate(asOf)) {
    problems.report({ column: '--as-of' }, msg('cell.notDate', { value: asOf }));
    return plan;
  }
  const checked = checkMapping(mappingInput);
  if (!checked.ok) {
    for (const i of checked.issues) problems.report({ file: 'mapping', column: `$.${i.path.join('.')}` }, i);
    return plan;
  }
  const { mapping, expressions } = checked;

  // ---- teams -------------------------------------------------------------------------------------
  const t = mapping.teams;
  const teamsHeader = header(rows.teams, [t.agent, t.manager, t.region], files.teams, problems);
  const people = new Map<string, PlannedUser>();
  const addPerson = (name: string, kind: PlannedUser['kind'], manager: string | null, region: string | null) => {
    if (!people.has(name))
      people.set(name, { name, email: `${emailLocalPart(name)}@${mapping.users.emailDomain}`, kind, manager, region });
  };
  const agentLine = new Map<string, number>();
  if (teamsHeader) {
    for (const row of rows.teams.slice(1)) {
      if (cell.isBlankRow(row)) continue;
      const agent = cellOf(teamsHeader, row, t.agent);
      const manager = cellOf(teamsHeader, row, t.manager).raw.trim();
      const region = cellOf(teamsHeader, row, t.region).raw.trim();
      const name = agent.raw.trim();
      if (name === '') {
        problems.report({ file: files.teams, line: agent.line, column: t.agent }, msg('value.required'));
        continue;
      }
      const first = agentLine.get(name);
      if (first !== undefined) {
        problems.report(
          { file: files.teams, line: agent.line, column: t.agent },
          msg('crm.duplicateAgent', { name: cell.clip(name), first }),
        );
        continue;
      }
      agentLine.set(name, row.line);
      addPerson(name, 'agent', manager || null, region || null);
    }
    // Managers after agents: someone listed as an agent keeps that row's data.
    for (const p of [...people.values()]) if (p.manager) addPerson(p.manager, 'manager', null, p.region);
  }

  // ---- accounts ------------------------------------------------------------------------------------
  const a = mapping.accounts;
  const accountColumns = MAPPABLE_FIELDS.map((f) => sourceColumn(a[f])).filter((c): c is string => c !== undefined);
  const accountsHeader = header(rows.accounts, accountColumns, files.accounts, problems);
  interface Draft {
    values: Partial<Record<MappableField, string | number | null>>;
    defaulted: Set<DefaultedField>;
    line: number;
    columnLines: Map<string, number>;
  }
  const drafts = new Map<string, Draft>();
  if (accountsHeader) {
    for (const row of rows.accounts.slice(1)) {
      if (cell.isBlankRow(row)) continue;
      const draft: Draft = { values: {}, defaulted: new Set(), line: row.line, columnLines: new Map() };
      let rowOk = true;
      for (const field of MAPPABLE_FIELDS) {
        const source = a[field];
        if (source === undefined || (typeof source !== 'string' && 'expression' in source)) continue;
        const r = readField(field, source, accountsHeader, row);
        if (!r.ok) {
          rowOk = false;
          problems.report({ file: files.accounts, line: r.line, column: r.column }, r.reason);
          continue;
        }
        draft.values[field] = r.value;
        if (r.defaulted) draft.defaulted.add(field as DefaultedField);
        if (r.column) draft.columnLines.set(field, r.line);
      }
      if (!rowOk) continue;
      const id = draft.values.id;
      if (typeof id !== 'string' || id === '') {
        problems.report({ file: files.accounts, line: row.line, column: sourceColumn(a.id) }, msg('crm.emptyAccountId'));
        continue;
      }
      const first = drafts.get(id);
      if (first) {
        problems.report(
          { file: files.accounts, line: row.line, column: sourceColumn(a.id) },
          msg('crm.duplicateAccount', { id: cell.clip(id), first: first.line }),
        );
        continue;
      }
      drafts.set(id, draft);
    }
  }

  // ---- opportunities ---------------------------------------------------------------------------------
  const o = mapping.opportunities;
  const oppHeader = header(
    rows.opportunities,
    [o.id, o.account, o.agent, o.product, o.stage, o.closeDate, o.value, ...(o.engageDate ? [o.engageDate] : [])],
    files.opportunities,
    problems,
  );
  const won = new Set(o.wonStages.map((s) => s.toLowerCase()));
  const lost = new Set(o.lostStages.map((s) => s.toLowerCase()));
  const oppLine = new Map<string, number>();
  const unknownIds = new Set<string>();
  if (oppHeader && accountsHeader) {
    for (const row of rows.opportunities.slice(1)) {
      if (cell.isBlankRow(row)) continue;
      const at = (name: string) => cellOf(oppHeader, row, name);
      let rowOk = true;
      const bad = (name: string, why: ImportMessage) => {
        rowOk = false;
        problems.report({ file: files.opportunities, line: at(name).line, column: name }, why);
      };
      const id = at(o.id).raw.trim();
      const accountId = at(o.account).raw.trim();
      const agent = at(o.agent).raw.trim();
      const stage = at(o.stage).raw.trim();
      const engage = o.engageDate ? at(o.engageDate).raw.trim() : '';
      const close = at(o.closeDate).raw.trim();
      const value = cell.number(at(o.value).raw);
      if (id === '') bad(o.id, msg('value.required'));
      if (stage === '') bad(o.stage, msg('value.required'));
      if (agent === '') bad(o.agent, msg('value.required'));
      if (engage !== '' && !isCalendarDate(engage)) bad(o.engageDate!, msg('cell.notDate', { value: cell.clip(engage) }));
      if (close !== '' && !isCalendarDate(close)) bad(o.closeDate, msg('cell.notDate', { value: cell.clip(close) }));
      if (!value.ok) bad(o.value, value.reason);
      else if (value.value !== null && value.value < 0) bad(o.value, msg('value.atLeast', { min: 0, got: value.value }));
      const status: OpportunityStatus = won.has(stage.toLowerCase()) ? 'won' : lost.has(stage.toLowerCase()) ? 'lost' : 'open';
      if (status === 'won' && close === '') bad(o.closeDate, msg('crm.wonNeedsCloseDate'));
      if (id !== '') {
        const first = oppLine.get(id);
        if (first !== undefined) bad(o.id, msg('crm.duplicateOpportunity', { id: cell.clip(id), first }));
        else oppLine.set(id, row.line);
      }
      if (!rowOk) continue;
      if (accountId === '') {
        // Open deals not yet tied to a customer: nothing to hang them on.
        plan.skipped.withoutAccount++;
        continue;
      }
      if (!drafts.has(accountId)) {
        if (o.unknownAccounts === 'error')
          problems.report(
            { file: files.opportunities, line: at(o.account).line, column: o.account },
            msg('crm.unknownAccount', { id: cell.clip(accountId) }),
          );
        else {
          plan.skipped.unknownAccount++;
          unknownIds.add(accountId);
        }
        continue;
      }
      if (!people.has(agent)) addPerson(agent, 'agent', null, null);
      plan.opportunities.push({
        id,
        accountId,
        title: at(o.product).raw.trim() || stage,
        estimatedValue: value.ok ? value.value : null,
        status,
        stage,
        engageDate: engage || null,
        closeDate: close || null,
        agent,
      });
    }
  }
  plan.skipped.unknownAccountIds = [...unknownIds].sort();

  // ---- derivation ------------------------------------------------------------------------------------
  const byAccount = new Map<string, PlannedOpportunity[]>();
  for (const opp of plan.opportunities) {
    const list = byAccount.get(opp.accountId);
    if (list) list.push(opp);
    else byAccount.set(opp.accountId, [opp]);
  }
  for (const [id, draft] of drafts) {
    const deals = byAccount.get(id) ?? [];
    let revenueLast12 = 0;
    let revenuePrevious12 = 0;
    let wonLast12 = 0;
    let wonBefore = 0;
    let lastWonDate: string | null = null;
    const perAgent = new Map<string, number>();
    for (const d of deals) {
      perAgent.set(d.agent, (perAgent.get(d.agent) ?? 0) + 1);
      if (d.status !== 'won' || d.closeDate === null) continue;
      // Deals closed after the as-of day have not happened yet from its point of view.
      if (d.closeDate > asOf) continue;
      if (lastWonDate === null || d.closeDate > lastWonDate) lastWonDate = d.closeDate;
      if (d.closeDate > last12From) {
        wonLast12++;
        revenueLast12 += d.estimatedValue ?? 0;
      } else {
        wonBefore++;
        if (d.closeDate > previousFrom) revenuePrevious12 += d.estimatedValue ?? 0;
      }
    }
    const status: AccountStatus =
      wonLast12 > 0 ? (revenueLast12 < revenuePrevious12 / 2 ? 'declining' : 'active') : wonBefore > 0 ? 'lost' : 'prospect';
    const owner = [...perAgent].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))[0]?.[0] ?? null;
    const ownerPerson = owner ? people.get(owner) : undefined;

    const values = { ...draft.values };
    if (values.region == null && ownerPerson?.region) values.region = ownerPerson.region;
    const inputs = {
      employees: numberOrNull(values.employees),
      companyRevenue: numberOrNull(values.companyRevenue),
      revenueWithUs: revenueLast12,
    };
    for (const [field, expr] of expressions) {
      const source = a[field] as { expression: string; default?: number };
      const v = evaluate(expr, inputs);
      values[field] = v ?? source.default ?? null;
      if (values[field] !== null) draft.defaulted.add(field as DefaultedField);
    }
    const input = {
      id,
      name: values.name ?? id,
      industry: values.industry ?? null,
      region: values.region ?? null,
      status,
      ownerId: ownerPerson ? ownerPerson.email : null,
      parentId: values.parentId ?? null,
      employees: values.employees ?? null,
      companyRevenue: values.companyRevenue ?? null,
      revenueWithUs: revenueLast12,
      potential: values.potential ?? null,
      demonstration: values.demonstration ?? null,
      winnability: values.winnability ?? null,
    };
    const result = check(accountSchema, input);
    if (!result.ok) {
      for (const issue of result.issues) {
        const field = String(issue.path[0]);
        const source = a[field as MappableField];
        problems.report(
          {
            file: files.accounts,
            line: draft.columnLines.get(field) ?? draft.line,
            column: sourceColumn(source) ?? `${field} (mapping)`,
          },
          msg('crm.field', { field, reason: { code: issue.code, params: issue.params } }),
        );
      }
      continue;
    }
    plan.accounts.push({
      account: result.value,
      importedDefaults: [...draft.defaulted].sort(),
      line: draft.line,
      deals: {
        total: deals.length,
        won: deals.filter((d) => d.status === 'won').length,
        wonLast12,
        revenueLast12,
        revenuePrevious12,
        lastWonDate,
      },
    });
  }

  // ---- users and teams ------------------------------------------------------------------------------
  plan.users = [...people.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const regions = new Map<string, string[]>();
  const managers = new Map<string, string[]>();
  for (const p of plan.users) {
    if (p.kind !== 'agent') continue;
    if (p.region) regions.set(p.region, [...(regions.get(p.region) ?? []), p.name]);
    if (p.manager) managers.set(p.manager, [...(managers.get(p.manager) ?? []), p.name]);
  }
  // `region:<office>` is the regional coverage line's team; a manager's own team groups the agents
  // reporting to them (the manager is a member too, the agents' owner for escalations). The export
  // names neither: a region team stores no name, a manager's team its manager's name (the studio
  // words both in the user's language, terms.ts teamName).
  for (const [region, members] of [...regions].sort())
    plan.teams.push({ id: `region:${region}`, name: null, line: 'regional', members });
  for (const [manager, members] of [...managers].sort())
    plan.teams.push({
      id: `manager:${slug(manager)}`,
      name: manager,
      line: 'regional',
      members: [manager, ...members],
    });
  return plan;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

type FieldRead =
  | { ok: true; value: string | number | null; defaulted: boolean; column: string | undefined; line: number }
  | { ok: false; reason: ImportMessage; column: string; line: number };

function readField(field: MappableField, source: FieldSource, h: Header, row: CsvRow): FieldRead {
  if (typeof source !== 'string' && !('column' in source)) {
    // A constant for a field the source lacks.
    if ('default' in source && source.default !== undefined)
      return { ok: true, value: source.default, defaulted: true, column: undefined, line: row.line };
    return { ok: true, value: null, defaulted: false, column: undefined, line: row.line };
  }
  const spec = typeof source === 'string' ? { column: source } : source;
  const { raw, line } = cellOf(h, row, spec.column);
  const trimmed = raw.trim();
  const fallback = 'default' in spec ? spec.default : undefined;
  if (trimmed === '') return { ok: true, value: fallback ?? null, defaulted: fallback !== undefined, column: spec.column, line };
  if (NUMERIC_FIELDS.has(field)) {
    const n = field === 'employees' && !('multiply' in spec && spec.multiply) ? cell.integer(trimmed) : cell.number(trimmed);
    if (!n.ok) return { ok: false, reason: n.reason, column: spec.column, line };
    const scaled = n.value === null ? null : n.value * ('multiply' in spec && spec.multiply !== undefined ? spec.multiply : 1);
    // Money in millions times 1e6 picks up binary noise (1100.04e6 → 1100040000.0000002).
    return {
      ok: true,
      value: scaled === null ? null : Math.round(scaled * 1e6) / 1e6,
      defaulted: false,
      column: spec.column,
      line,
    };
  }
  const mapped = 'map' in spec && spec.map ? lookup(spec.map, trimmed) : undefined;
  const value = mapped ?? (field === 'industry' ? trimmed.toLowerCase() : trimmed);
  return { ok: true, value, defaulted: false, column: spec.column, line };
}

function lookup(map: Record<string, string>, value: string): string | undefined {
  if (value in map) return map[value];
  const lower = value.toLowerCase();
  for (const [k, v] of Object.entries(map)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** One line per figure, for the CLI. */
export function summarizePlan(plan: CrmPlan): string[] {
  const byStatus = new Map<string, number>();
  for (const a of plan.accounts)
    byStatus.set(a.account.status ?? 'unknown', (byStatus.get(a.account.status ?? 'unknown') ?? 0) + 1);
  const oppByStatus = new Map<string, number>();
  for (const o of plan.opportunities) oppByStatus.set(o.status, (oppByStatus.get(o.status) ?? 0) + 1);
  const byIndustry = new Map<string, number>();
  for (const a of plan.accounts)
    byIndustry.set(a.account.industry ?? '(none)', (byIndustry.get(a.account.industry ?? '(none)') ?? 0) + 1);
  const defaulted = new Map<string, number>();
  for (const a of plan.accounts) for (const f of a.importedDefaults) defaulted.set(f, (defaulted.get(f) ?? 0) + 1);
  const revenue = plan.accounts.reduce((s, a) => s + (a.account.revenueWithUs ?? 0), 0);
  const fmt = (m: Map<string, number>) =>
    [...m]
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `as of ${plan.asOf}: revenue window (${plan.window.last12.from}, ${plan.window.last12.to}], previous (${plan.window.previous12.from}, ${plan.window.previous12.to}]`,
    `accounts: ${plan.accounts.length} (${fmt(byStatus)})`,
    `revenueWithUs: ${revenue.toLocaleString('en-US')} in total over the window`,
    `industries: ${fmt(byIndustry)}`,
    `opportunities: ${plan.opportunities.length} stored (${fmt(oppByStatus)}); skipped ${plan.skipped.withoutAccount} without an account, ${plan.skipped.unknownAccount} of accounts not in the accounts file`,
    `users: ${plan.users.length} (${plan.users.filter((u) => u.kind === 'agent').length} agents, ${plan.users.filter((u) => u.kind === 'manager').length} managers)`,
    `teams: ${plan.teams.length} (${plan.teams.map((t) => t.id).join(', ')})`,
  ];
  if (defaulted.size) lines.push(`filled by mapping defaults (reported as missing by the profile stage): ${fmt(defaulted)}`);
  return lines;
}

export type { ImportProblem };

// ---- writing ------------------------------------------------------------------------------------------

export interface CrmImportOptions {
  /** `YYYY-MM-DD`: the 12-month windows end on this day. */
  asOf: string;
  /** A parsed mapping file; the default mapping when omitted. */
  mapping?: unknown;
  problemLimit?: number;
  /** Plan and report, write nothing. */
  dryRun?: boolean;
  /** Who the audit rows name; default `import`. */
  by?: string;
}

export interface CrmImportResult {
  plan: CrmPlan;
  accounts: { inserted: number; updated: number };
  /** The accounts the import created, and the existing ones it wrote: whose workflows to start or tell. */
  createdIds: string[];
  updatedIds: string[];
  opportunities: number;
  usersCreated: number;
  teams: number;
  /**
   * Account id → fields holding a value a mapping default or expression filled in (this import
   * or an earlier one; a stored value is never overwritten by a default), as stored in the
   * account's `imported_defaults`. The profile stage reports these as missing.
   */
  importedDefaults: Record<string, DefaultedField[]>;
}

/** Reads the three CSVs; their syntax problems count like any other. */
export async function readCrmFiles(files: CrmFiles, problems: Problems): Promise<CrmRows> {
  const read = async (file: string) => {
    const parsed = await readCsvFile(file);
    problems.addCounted(
      parsed.errors.map((e) => syntaxProblem(file, e)),
      parsed.errorCount,
    );
    return parsed.rows;
  };
  return { accounts: await read(files.accounts), opportunities: await read(files.opportunities), teams: await read(files.teams) };
}

/**
 * `esp import crm`: plans the import, then writes users, teams, accounts and opportunities in one
 * transaction. Any problem in any file stops it before anything is written.
 */
export async function importCrm(db: Db, files: CrmFiles, options: CrmImportOptions): Promise<CrmImportResult> {
  const syntax = new Problems(options.problemLimit);
  const rows = await readCrmFiles(files, syntax);
  if (!syntax.ok) throw ImportError.from(syntax);
  const plan = planCrmImport(rows, options.mapping ?? loadDefaultMapping(), options.asOf, files, options.problemLimit);
  if (!plan.problems.ok) throw ImportError.from(plan.problems);
  const mapping = (checkMapping(options.mapping ?? loadDefaultMapping()) as { mapping: CrmMapping }).mapping;

  const result: CrmImportResult = {
    plan,
    accounts: { inserted: 0, updated: 0 },
    createdIds: [],
    updatedIds: [],
    opportunities: 0,
    usersCreated: 0,
    teams: plan.teams.length,
    importedDefaults: {},
  };
  if (options.dryRun) {
    for (const p of plan.accounts) if (p.importedDefaults.length) result.importedDefaults[p.account.id] = p.importedDefaults;
    return result;
  }
  await db.transaction(async (tx) => {
    // People: an existing user with the same e-mail is reused, never modified.
    const existing = await userIdsByEmail(
      tx,
      plan.users.map((u) => u.email),
    );
    const idOf = new Map(plan.users.map((u) => [u.name, existing.get(u.email.toLowerCase()) ?? u.email]));
    result.usersCreated = await insertMissingUsers(
      tx,
      plan.users
        .filter((u) => !existing.has(u.email.toLowerCase()))
        .map((u) => ({ id: u.email, email: u.email, name: u.name, role: 'manager' as const, passwordHash: NO_PASSWORD })),
    );
    await upsertTeams(
      tx,
      plan.teams.map(({ id, name, line }) => ({ id, name, line })),
    );
    for (const t of plan.teams)
      await addMembers(
        tx,
        t.id,
        t.members.map((m) => idOf.get(m)!),
      );

    // Accounts: source-backed and deal-derived fields are refreshed on every import; fields that
    // only a default or an expression fills never overwrite a stored value (an admin may have
    // rated the account since).
    const emailToId = new Map(plan.users.map((u) => [u.email, idOf.get(u.name)!]));
    const accounts = plan.accounts.map((p) => ({
      ...p.account,
      ownerId: p.account.ownerId ? (emailToId.get(p.account.ownerId) ?? p.account.ownerId) : null,
    }));
    const fillOnly = MAPPABLE_FIELDS.filter((f) => {
      const s = mapping.accounts[f];
      return s !== undefined && typeof s !== 'string' && !('column' in s);
    }) as ProfileField[];
    const unmapped = MAPPABLE_FIELDS.filter((f) => mapping.accounts[f] === undefined && f !== 'region');
    const update = PROFILE_FIELDS.filter(
      (f) => !NOT_FROM_CRM.includes(f) && !fillOnly.includes(f) && !(unmapped as readonly string[]).includes(f),
    );
    const stored = await storedProfileFields(
      tx,
      accounts.map((a) => a.id),
      fillOnly,
    );
    // The stored list says which values an earlier import defaulted; the database drops a field
    // from it when the value changes (migration 0003), so a rating entered since is real data.
    const written = new Set<string>([...update, ...fillOnly]);
    const lists = new Map<string, string[]>();
    for (const p of plan.accounts) {
      const before = stored.get(p.account.id);
      const now = p.importedDefaults.filter((f) => {
        // New accounts, and fields this import overwrites: its own verdict.
        if (!before || !fillOnly.includes(f as ProfileField)) return true;
        const value = before[f as ProfileField];
        // Filled now (stored empty), or a stored default left in place. A stored value equal to
        // the default counts as one too: accounts imported before the list existed have no list.
        return value == null || before.importedDefaults.includes(f) || value === p.account[f as ProfileField];
      });
      // Fields this import does not write keep what an earlier import (another mapping) said.
      const kept = (before?.importedDefaults ?? []).filter((f) => !written.has(f));
      const list = [...new Set([...now, ...kept])].sort();
      lists.set(p.account.id, list);
      if (list.length) result.importedDefaults[p.account.id] = list as DefaultedField[];
    }
    const before = await accountsBeforeWrite(
      tx,
      accounts.map((a) => a.id),
    );
    const counts = await upsertAccountProfiles(
      tx,
      accounts.map((a) => ({ ...a, importedDefaults: lists.get(a.id) ?? [] })),
      { update, fillIfNull: fillOnly, importedDefaults: true },
    );
    await recordWrittenChanges(tx, before, options.by ?? IMPORT_BY);
    result.accounts = { inserted: counts.inserted, updated: counts.updated };
    for (const a of accounts) (counts.insertedIds.has(a.id) ? result.createdIds : result.updatedIds).push(a.id);

    result.opportunities = await upsertOpportunityRows(
      tx,
      plan.opportunities.map((o) => ({
        id: o.id,
        accountId: o.accountId,
        title: o.title,
        estimatedValue: o.estimatedValue,
        // Open deals get their account's track when its coverage stage runs.
        track: null,
        status: o.status,
        stage: o.stage,
        closeDate: o.closeDate,
        source: 'crm',
        owner: idOf.get(o.agent) ?? null,
      })),
    );
  });
  return result;
}
