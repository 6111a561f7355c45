/**
 * The message catalogues and a dependency-free formatter, shared by the studio, the CLI and the
 * importers in `db/` (which sit below the studio, so this may import nothing but the JSON catalogues).
 *
 * Keys are flat and dotted (`nav.portfolio`). `en.json` defines the key set; `zh-CN.json` must have
 * the same keys (the type below and `test/studio-i18n.test.ts` enforce it). Parameters are written
 * `{name}`. Plural messages have `.one` / `.other` (… per `Intl.PluralRules`) variants of a key.
 */
import en from './en.json' with { type: 'json' };
import zhCN from './zh-CN.json' with { type: 'json' };

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;
/** Keys with plural variants, named without the `.one` / `.other` suffix. */
export type PluralKey = { [K in MessageKey]: K extends `${infer Base}.other` ? Base : never }[MessageKey];
export type Params = Record<string, string | number | null | undefined>;

export const catalogs: Record<Locale, Catalog> = { en, 'zh-CN': zhCN };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(catalogs.en, key);
}

const numberFormats = new Map<Locale, Intl.NumberFormat>();
function plainNumber(locale: Locale, n: number): string {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 })));
  return f.format(n);
}

/** Fills `{name}` placeholders; a placeholder without a parameter stays visible rather than vanish. */
export function interpolate(locale: Locale, message: string, params: Params = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) return whole;
    return typeof value === 'number' ? plainNumber(locale, value) : value;
  });
}

/**
 * The message for `key` in `locale`. A key missing from the catalogue comes back as the raw key, so
 * that the tests which look for raw keys on rendered pages catch it.
 */
export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const message = catalogs[locale][key] ?? catalogs[DEFAULT_LOCALE][key];
  return message === undefined ? key : interpolate(locale, message, params);
}

const pluralRules = new Map<Locale, Intl.PluralRules>();
export function translatePlural(locale: Locale, key: PluralKey, count: number, params: Params = {}): string {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  const exact = `${key}.${rules.select(count)}`;
  const chosen = isMessageKey(exact) ? exact : (`${key}.other` as MessageKey);
  return translate(locale, chosen, { count, ...params });
}

/** A problem with a stable code and parameters, like the engine's rule-set `Issue`. */
export interface CodedMessage {
  code: string;
  params?: Record<string, string | number>;
  /** The English text, used when the code has no catalogue entry (a code added after this file). */
  message: string;
}

/** Rule-set validation issues are catalogued as `issue.<code>`. */
export function translateIssue(locale: Locale, issue: CodedMessage): string {
  const key = `issue.${issue.code}`;
  return isMessageKey(key) ? translate(locale, key, issue.params) : issue.message;
}

/** A coded message whose parameters may themselves be coded messages (see `translateImport`). */
export interface NestedMessage {
  code: string;
  params?: { readonly [name: string]: string | number | NestedMessage };
}

/**
 * An import problem's reason, catalogued as `import.<code>`. Parameters are shown as written (a line
 * number or a value from the file is not regrouped as 1,234), and a parameter that is itself a
 * message (the reason inside `competitor "x": …`) is rendered in the same language first. A code
 * without a catalogue entry comes back as its raw key, like `translate`.
 */
export function translateImport(locale: Locale, message: NestedMessage): string {
  const params: Params = {};
  for (const [name, value] of Object.entries(message.params ?? {}))
    params[name] = typeof value === 'object' ? translateImport(locale, value) : String(value);
  const key = `import.${message.code}`;
  return isMessageKey(key) ? translate(locale, key, params) : key;
}

/**
 * Texts that come from the rule sets (a plan's goal, its actions' titles) are the admins' words,
 * stored as written. The default rule sets' English texts have catalogue entries under
 * `ruleText.` whose English message is that very text: such a text is shown in the user's
 * language, and any other (an admin's own) as it is.
 */
let ruleTextKeys: Map<string, MessageKey> | undefined;
export function translateRuleText(locale: Locale, text: string): string {
  if (!ruleTextKeys) {
    ruleTextKeys = new Map();
    for (const [key, message] of Object.entries(catalogs.en))
      if (key.startsWith('ruleText.')) ruleTextKeys.set(message, key as MessageKey);
  }
  const key = ruleTextKeys.get(text);
  return key ? translate(locale, key) : text;
}

/**
 * The best supported locale for an `Accept-Language` header (or a `LANG` value such as
 * `zh_CN.UTF-8`): any Chinese variant reads the simplified catalogue, any English one `en`.
 */
export function negotiateLocale(header: string | null | undefined, fallback: Locale = DEFAULT_LOCALE): Locale {
  if (!header) return fallback;
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [range = '', ...attrs] = part.trim().split(';');
      const q = attrs.map((a) => a.trim()).find((a) => a.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return {
        tag: range.trim().toLowerCase().replace(/_/g, '-').split('.')[0] ?? '',
        quality: Number.isFinite(quality) ? quality : 0,
        index,
      };
    })
    .filter((r) => r.tag && r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return fallback;
}
