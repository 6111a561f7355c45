/**
 * The studio's i18n: the project's catalogues and formatter (`i18n/catalog.ts`), `Intl` formatting of
 * numbers, amounts and dates, and the per-request translator the root layout puts in context.
 *
 * Every amount is in one currency per deployment (`ESP_CURRENCY`, default CNY), so the currency
 * travels with the locale rather than with each number. Dates are formatted in the server's time
 * zone on both sides, so that the server-rendered and the hydrated page agree.
 */
import { getContext, setContext } from 'svelte';
import {
  isMessageKey,
  translate,
  translateIssue,
  translatePlural,
  translateRuleText,
  type CodedMessage,
  type Locale,
  type MessageKey,
  type Params,
  type PluralKey,
} from '$i18n/catalog.js';

export * from '$i18n/catalog.js';

export const DEFAULT_CURRENCY = 'CNY';

export interface I18nSettings {
  locale: Locale;
  currency: string;
  timeZone: string;
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) cache.set(key, (f = make()));
  return f;
}

type DateInput = Date | string | number;
const toDate = (d: DateInput) => (d instanceof Date ? d : new Date(d));

export interface I18n {
  readonly locale: Locale;
  readonly currency: string;
  t(key: MessageKey, params?: Params): string;
  /** A plural message: `tn('common.accounts', 3)` picks `common.accounts.other`. */
  tn(key: PluralKey, count: number, params?: Params): string;
  /**
   * The label of a data value such as a tier, stage or industry (`label('stage', 'plan')` reads
   * `stage.plan`); a value the catalogue does not know (a new industry) shows as itself.
   */
  label(namespace: string, value: string | null | undefined): string;
  /** A rule-set validation issue (or any coded message) in this locale. */
  issue(issue: CodedMessage): string;
  /** A text from a rule set (a plan's goal, an action's title): the default ones translated, others as written. */
  ruleText(text: string | null | undefined): string;
  number(n: number | null | undefined, options?: Intl.NumberFormatOptions): string;
  /** An amount in the deployment's currency, without decimals unless asked. */
  money(n: number | null | undefined, options?: Intl.NumberFormatOptions): string;
  /** 0.25 → 25%. */
  percent(share: number | null | undefined, fractionDigits?: number): string;
  date(d: DateInput | null | undefined, options?: Intl.DateTimeFormatOptions): string;
  dateTime(d: DateInput | null | undefined): string;
}

/**
 * A translator over settings read on every call, so components re-render when the settings come
 * from reactive state (the layout's data) and the user switches language.
 */
export function createI18n(settings: () => I18nSettings): I18n {
  const none = () => translate(settings().locale, 'common.none');
  const date = (d: DateInput | null | undefined, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium' }) => {
    if (d === null || d === undefined) return none();
    const value = toDate(d);
    if (Number.isNaN(value.getTime())) return none();
    const { locale, timeZone } = settings();
    const opts = { timeZone, ...options };
    return cached(`d|${locale}|${JSON.stringify(opts)}`, () => new Intl.DateTimeFormat(locale, opts)).format(value);
  };
  // Plain functions, not methods: components destructure them (`const { t } = getI18n()`).
  return {
    get locale() {
      return settings().locale;
    },
    get currency() {
      return settings().currency;
    },
    t: (key, params) => translate(settings().locale, key, params),
    tn: (key, count, params) => translatePlural(settings().locale, key, count, params),
    issue: (issue) => translateIssue(settings().locale, issue),
    ruleText: (text) =>
      text === null || text === undefined || text === '' ? none() : translateRuleText(settings().locale, text),
    label: (namespace, value) => {
      if (value === null || value === undefined || value === '') return none();
      const key = `${namespace}.${value}`;
      return isMessageKey(key) ? translate(settings().locale, key) : value;
    },
    number: (n, options = {}) => {
      if (n === null || n === undefined || !Number.isFinite(n)) return none();
      const { locale } = settings();
      return cached(`n|${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options)).format(n);
    },
    money: (n, options = {}) => {
      if (n === null || n === undefined || !Number.isFinite(n)) return none();
      const { locale, currency } = settings();
      const opts: Intl.NumberFormatOptions = { style: 'currency', currency, maximumFractionDigits: 0, ...options };
      return cached(`m|${locale}|${JSON.stringify(opts)}`, () => new Intl.NumberFormat(locale, opts)).format(n);
    },
    percent: (share, fractionDigits = 0) => {
      if (share === null || share === undefined || !Number.isFinite(share)) return none();
      const { locale } = settings();
      return cached(
        `p|${locale}|${fractionDigits}`,
        () => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: fractionDigits }),
      ).format(share);
    },
    date,
    dateTime: (d) => date(d, { dateStyle: 'medium', timeStyle: 'short' }),
  };
}

const KEY = Symbol('esp-i18n');

export function setI18n(i18n: I18n): I18n {
  return setContext(KEY, i18n);
}

/** The translator set by the root layout; call during component initialisation. */
export function getI18n(): I18n {
  const i18n = getContext<I18n | undefined>(KEY);
  if (!i18n) throw new Error('getI18n() outside the root layout');
  return i18n;
}
