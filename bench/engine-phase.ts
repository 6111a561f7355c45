/**
 * One measured phase of the engine benchmark, in its own process so its peak RSS is its own:
 * `ours` (compiled evaluators, explained mode), `decide` (compiled evaluators, decision-only mode)
 * or `jre` (json-rules-engine's Engine), over N generated accounts. Prints one JSON line.
 */
import { generateAccounts } from '../db/demo/generate.js';
import {
  DecisionRecord,
  monitorAccount,
  monitorInto,
  revenueObjective,
  monitorSteps,
  plan,
  type Account,
  type AccountDecision,
  type EspRules,
  type RuleBook,
} from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';
import { JreDriver } from './jre-driver.js';

const [phase = 'ours', countArg = '100000', warmupArg = '10000', seedArg = '7'] = process.argv.slice(2);
const count = Number(countArg);
const warmup = Math.min(count, Number(warmupArg));

const book: RuleBook = loadRuleBook();
const accounts: Account[] = generateAccounts(count, Number(seedArg));
const contacts = accounts.reduce((s, a) => s + a.contacts.length, 0);
const competitors = accounts.reduce((s, a) => s + a.competitors.length, 0);
const START = '2026-01-15';

/**
 * Every decision stage: the monitor runs profile … investment and the health rules in one pass;
 * the GOSART plan is made from its decision.
 */
function planFor(a: Account, rules: EspRules, d: AccountDecision) {
  return plan(
    {
      account: a,
      tier: d.tier,
      strategy: d.strategy,
      investment: d.investment,
      presalesTier: d.coverage.presalesTier,
      owner: d.coverage.owner,
      closeness: d.closeness,
      competitors: d.relationship.competitors,
      startDate: START,
    },
    rules.ruleSet,
  );
}

/** The plan the last cycle made: the monitor compares today's strategy and closeness with it. */
const LAST_PLAN = { strategy: 'retain', closeness: 50 } as const;
/** The same monitor context for every account: built once, it is not part of what is measured. */
const MONITOR_CTX = { overdueVisits: 0, openActions: 2, overdueActions: 0, plan: LAST_PLAN };

/** The decision-only mode's one record, overwritten account after account. */
const record = new DecisionRecord();

const evaluators: Record<string, (list: readonly Account[]) => Promise<number>> = {
  ours: async (list) => {
    let sum = 0;
    for (const a of list) {
      const rules = book.forIndustry(a.industry);
      const m = monitorAccount(a, rules, MONITOR_CTX);
      const p = planFor(a, rules, m.decision);
      sum += m.decision.score + p.objectives.revenue.target / 1e6 + (m.health === 'red' ? 1 : 0);
    }
    return sum;
  },
  // Every decision of the monitor, into one reused record, with the plan's revenue objective (the
  // plan's one figure in the checksum); the plan's actions and texts are not decisions.
  decide: async (list) => {
    let sum = 0;
    for (const a of list) {
      const rules = book.forIndustry(a.industry);
      const d = monitorInto(a, rules, MONITOR_CTX, record);
      sum += d.score + revenueObjective(a, d.strategy, rules.ruleSet).target / 1e6 + (d.health === 'red' ? 1 : 0);
    }
    return sum;
  },
  jre: async (list) => {
    const drivers = new Map(book.industries.map((i) => [i, new JreDriver(book.forIndustry(i))]));
    let sum = 0;
    for (const a of list) {
      const rules = book.forIndustry(a.industry);
      const m = await drivers.get(rules.ref.industry)!.run(monitorSteps(a, rules, MONITOR_CTX));
      const p = planFor(a, rules, m.decision);
      sum += m.decision.score + p.objectives.revenue.target / 1e6 + (m.health === 'red' ? 1 : 0);
    }
    return sum;
  },
};
const evaluateAll = evaluators[phase];
if (!evaluateAll) throw new Error(`unknown phase ${phase}; known: ${Object.keys(evaluators).join(', ')}`);

// The studio's server evaluates in a long-running process: the code is compiled by the time a
// draft edit re-evaluates an industry. Every phase gets the same untimed warm-up pass, then a
// full collection: the generator's and the warm-up's garbage is not the phase's (engine.ts runs
// the phase with sweeping on the main thread, so that collection is over before the clock starts).
await evaluateAll(accounts.slice(0, warmup));
if (globalThis.gc) globalThis.gc();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const checksum = await evaluateAll(accounts);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
// CPU time of this (single-threaded) process: the figure for "on one core", robust to other load.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({
    phase,
    accounts: count,
    contactsPerAccount: contacts / count,
    competitorsPerAccount: competitors / count,
    seconds,
    cpuSeconds,
    accountsPerSecond: count / seconds,
    accountsPerCpuSecond: count / cpuSeconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    checksum: Math.round(checksum * 100) / 100,
  })}\n`,
);
