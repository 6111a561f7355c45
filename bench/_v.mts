import { generateAccounts } from '../db/demo/generate.js';
import { monitorSteps, runSteps, type Account } from '../engine/index.js';
import { loadRuleBook } from '../rules/load.js';
const book = loadRuleBook();
const accounts = generateAccounts(30000, 7);
const monitorCtx = { overdueVisits: 0, openActions: 2, overdueActions: 0 } as const;
const LAST_PLAN = { strategy: 'retain', closeness: 50 } as const;
const variant = process.argv[2];
function one(a: Account) {
  const rules = book.forIndustry(a.industry);
  const ctx = variant === 'spread' ? { ...monitorCtx, plan: LAST_PLAN } : { overdueVisits: 0, openActions: 2, overdueActions: 0, plan: LAST_PLAN };
  return runSteps(monitorSteps(a, rules, ctx), rules).decision.score;
}
for (const a of accounts.slice(0, 10000)) one(a);
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  let s = 0;
  for (const a of accounts) s += one(a);
  console.log(variant, (performance.now() - t0).toFixed(0), 'ms', s);
}
