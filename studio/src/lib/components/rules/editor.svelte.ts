/**
 * The rule editor's state: the document being edited (an industry's override, or the complete
 * fallback `*`), what applies (the fallback with the override merged in), and the edits the form
 * makes. The form and the JSON view edit the same document, so either shows the other's changes.
 */
import {
  clone,
  deleteAt,
  getAt,
  hasAt,
  isObject,
  mergeOverride,
  ruleEntries,
  setAt,
  type Json,
  type JsonObject,
  type RuleEntry,
} from './doc.js';
import type { Segment } from './paths.js';
import type { AffectedView, IssueView } from './types.js';

export class RuleEditor {
  readonly fallback: boolean;
  readonly base: Json;
  doc: Json = $state({});
  /** The JSON view's text: the document, or what the admin is typing into it (maybe not JSON yet). */
  jsonText = $state('');
  jsonError: string | null = $state(null);
  /** The draft revision edits are based on; null until the first save creates the draft. */
  revision: number | null = $state(null);
  /** The text last saved (or loaded): the editor is dirty when the JSON view differs from it. */
  savedText = $state('');
  issues: IssueView[] = $state([]);
  affected: AffectedView[] = $state([]);
  /** Whether the saved draft validates (publishing needs it). */
  savedValid = $state(false);
  /** Whether `issues` describe the current text (live validation answered for it). */
  checking = $state(false);

  readonly effective: Json = $derived.by(() => (this.fallback ? this.doc : mergeOverride(this.base, this.doc)));
  readonly dirty: boolean = $derived(this.jsonText !== this.savedText);

  private timer: ReturnType<typeof setTimeout> | undefined;
  private sequence = 0;
  private readonly validateUrl: string | null;

  /**
   * @param validateUrl where live validation posts the document (none: validate on save only)
   * @param unsaved text the admin posted that was not saved (a conflict, invalid JSON): shown
   *   instead of the stored draft, so that nothing typed is lost
   */
  constructor(
    init: {
      fallback: boolean;
      base: unknown;
      document: unknown;
      revision: number | null;
      issues: IssueView[];
      affected: AffectedView[];
      valid: boolean;
    },
    validateUrl: string | null = null,
    unsaved?: string,
  ) {
    this.validateUrl = validateUrl;
    this.fallback = init.fallback;
    this.base = (init.base ?? {}) as Json;
    this.doc = clone(init.document ?? {}) as Json;
    this.savedText = stringify(this.doc);
    this.jsonText = this.savedText;
    this.revision = init.revision;
    this.issues = init.issues;
    this.affected = init.affected;
    this.savedValid = init.valid;
    if (unsaved !== undefined && unsaved !== this.savedText) this.setJson(unsaved, false);
  }

  // ---- reading ---------------------------------------------------------------------------------

  value(path: readonly Segment[]): unknown {
    return getAt(this.effective, path);
  }

  /** The value the industry inherits from `*` at `path` (undefined for the fallback itself). */
  inherited(path: readonly Segment[]): unknown {
    return this.fallback ? undefined : getAt(this.base, path);
  }

  /** Whether the edited document states `path` itself (always, for the fallback). */
  own(path: readonly Segment[]): boolean {
    return this.fallback || hasAt(this.doc, path);
  }

  /** Issues shown at a field (see `fieldFor`). */
  issuesAt(field: string): IssueView[] {
    return this.issues.filter((i) => i.field === field);
  }

  // ---- editing ---------------------------------------------------------------------------------

  set(path: readonly Segment[], value: unknown): void {
    this.doc = setAt(this.doc, path, (value === undefined ? null : clone(value)) as Json);
    this.changed();
  }

  /** Start overriding an inherited value: the override states it, with the inherited value to edit. */
  override(path: readonly Segment[]): void {
    this.set(path, this.value(path));
  }

  /** Back to the inherited value: the override no longer states `path`. */
  reset(path: readonly Segment[]): void {
    if (this.fallback) return;
    this.doc = deleteAt(this.doc, path);
    this.changed();
  }

  setJson(text: string, validate = true): void {
    this.jsonText = text;
    try {
      const parsed = JSON.parse(text) as Json;
      if (!isObject(parsed)) {
        this.jsonError = 'object';
        return;
      }
      this.jsonError = null;
      this.doc = parsed;
      if (validate) this.scheduleValidation();
    } catch (e) {
      this.jsonError = (e as Error).message;
    }
  }

  /** After a successful save of `posted`: what the server now holds. */
  saved(posted: string, result: { revision: number; valid: boolean; issues: IssueView[]; affected: AffectedView[] }): void {
    this.savedText = posted;
    this.revision = result.revision;
    this.savedValid = result.valid;
    // Live validation of later keystrokes may be on its way; the save's issues are for `posted`.
    if (this.jsonText === posted) {
      this.issues = result.issues;
      this.affected = result.affected;
    }
  }

  private changed(): void {
    this.jsonText = stringify(this.doc);
    this.jsonError = null;
    this.scheduleValidation();
  }

  /** Validates on the server shortly after typing stops: the same checks as saving and publishing. */
  private scheduleValidation(): void {
    if (!this.validateUrl || typeof globalThis.fetch !== 'function' || !('document' in globalThis)) return;
    clearTimeout(this.timer);
    this.checking = true;
    const url = this.validateUrl;
    this.timer = setTimeout(async () => {
      const mine = ++this.sequence;
      const text = this.jsonText;
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
        if (!response.ok || mine !== this.sequence) return;
        const body = (await response.json()) as { issues: IssueView[]; affected: AffectedView[] };
        if (mine !== this.sequence || text !== this.jsonText) return;
        this.issues = body.issues;
        this.affected = body.affected;
      } catch {
        // Offline or the server restarting: saving validates anyway.
      } finally {
        if (mine === this.sequence) this.checking = false;
      }
    }, 400);
  }

  // ---- lists replaced whole (interaction levels, tactic templates) -------------------------------

  /** The rows of a list of objects; an entry that is not an object reads as an empty row. */
  rows(path: readonly Segment[]): JsonObject[] {
    const list = this.value(path);
    return Array.isArray(list) ? list.map((r) => (isObject(r) ? r : {})) : [];
  }

  /** Sets one field of one row: an override replaces such a list whole, so this overrides the list. */
  setRowField(path: readonly Segment[], index: number, key: string, value: Json): void {
    const list = this.rows(path);
    list[index] = { ...list[index], [key]: value };
    this.set(path, list);
  }

  removeRow(path: readonly Segment[], index: number): void {
    this.set(
      path,
      this.rows(path).filter((_, n) => n !== index),
    );
  }

  addRow(path: readonly Segment[], row: JsonObject): void {
    this.set(path, [...this.rows(path), row]);
  }

  // ---- rule lists ------------------------------------------------------------------------------

  entries(listPath: readonly Segment[]): RuleEntry[] {
    return ruleEntries(this.fallback ? undefined : getAt(this.base, listPath), getAt(this.doc, listPath), this.fallback);
  }

  private docList(listPath: readonly Segment[]): Json[] {
    const list = getAt(this.doc, listPath);
    return Array.isArray(list) ? [...(list as Json[])] : [];
  }

  private setList(listPath: readonly Segment[], list: Json[]): void {
    // An empty rule list in an override changes nothing: leave it out rather than state it.
    if (list.length === 0 && !this.fallback) this.doc = deleteAt(this.doc, listPath);
    else this.doc = setAt(this.doc, listPath, list);
    this.changed();
  }

  /** Edits a rule: an inherited one is copied into the override (same name: it replaces the inherited rule). */
  updateRule(listPath: readonly Segment[], entry: RuleEntry, rule: JsonObject): void {
    const list = this.docList(listPath);
    if (entry.docIndex === null) list.push(clone(rule));
    else list[entry.docIndex] = clone(rule);
    this.setList(listPath, list);
  }

  /** Back to the inherited rule (drops the override's replacement or removal). */
  resetRule(listPath: readonly Segment[], entry: RuleEntry): void {
    if (entry.docIndex === null) return;
    const list = this.docList(listPath);
    list.splice(entry.docIndex, 1);
    this.setList(listPath, list);
  }

  /** Removes a rule: an own or added one is deleted; an inherited one is removed by name. */
  removeRule(listPath: readonly Segment[], entry: RuleEntry): void {
    const list = this.docList(listPath);
    if (entry.origin === 'own' || entry.origin === 'added') list.splice(entry.docIndex!, 1);
    else if (entry.origin === 'overridden') list[entry.docIndex!] = { name: entry.name, remove: true };
    else if (entry.origin === 'inherited') list.push({ name: entry.name, remove: true });
    this.setList(listPath, list);
  }

  addRule(listPath: readonly Segment[], rule: JsonObject): void {
    this.setList(listPath, [...this.docList(listPath), clone(rule)]);
  }
}

export function stringify(doc: unknown): string {
  return JSON.stringify(doc, null, 2);
}
