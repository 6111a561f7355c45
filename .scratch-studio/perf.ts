import { openDatabase } from '../db/client.js';
import { migrate } from '../db/migrate.js';
import { seedDefaultRuleSets } from '../db/repositories/rule-sets.js';
import { generateAccounts } from '../db/demo/generate.js';
import { upsertAccounts, updateComputedMany } from '../db/repositories/accounts.js';
import { upsertUsers } from '../db/repositories/users.js';
import { upsertTeams, addMembers } from '../db/repositories/teams.js';
import { createPlan } from '../db/repositories/plans.js';
import { decideAccount } from '../engine/index.js';
import { rulesFor, loadAccountsPage, loadAccountDetail } from '../studio/src/lib/server/accounts.js';
import { loadPortfolio, loadReviews } from '../studio/src/lib/server/portfolio.js';
import type { SessionUser } from '../studio/src/lib/user.js';

const url = process.argv[2] ?? '';
const N = 10_000;
const d = url ? await openDatabase({ url }) : await openDatabase({ dataDir: 'memory://', url: '' });
const db = d.db;
await migrate(db); await seedDefaultRuleSets(db);
const managers = Array.from({ length: 8 }, (_, i) => `manager${i + 1}@example.com`);
await upsertUsers(db, [{ id: 'admin', email: 'admin@x', name: 'Admin', role: 'admin', passwordHash: 'x' }, ...managers.map((m) => ({ id: m, email: m, name: m, role: 'manager' as const, passwordHash: 'x' }))]);
const accts = generateAccounts(N, 3);
let t = Date.now();
await upsertAccounts(db, accts);
console.log('seeded', Date.now() - t);
const patches = [];
for (const [i, a] of accts.entries()) {
  const dd = decideAccount(a, await rulesFor(db, a.industry));
  patches.push({ id: a.id, score: dd.score, tier: dd.tier, class: dd.class, strategy: dd.strategy, stage: i % 3 ? 'execute' as const : 'plan' as const, waitingFor: i % 3 ? null : 'plan-approval', health: (['green','amber','red'] as const)[i % 3], coverageTeam: dd.coverage.team, closeness: dd.closeness });
}
await db.transaction(async (tx) => { for (let i = 0; i < patches.length; i += 1000) await updateComputedMany(tx, patches.slice(i, i + 1000)); });
for (let i = 0; i < 2000; i += 3) await createPlan(db, { accountId: accts[i]!.id, cycleYear: 2025, goal: 'g', objectives: {}, strategy: 'grow', actions: [], resources: {}, tests: [], needsApproval: true });
const teams = [...new Set(patches.map((p) => p.coverageTeam))];
await upsertTeams(db, teams.map((id) => ({ id, name: id, line: 'regional' as const })));
for (const [i, team] of teams.entries()) await addMembers(db, team, [managers[i % 8]!]);
console.log('ready', Date.now() - t);
const admin: SessionUser = { id: 'admin', email: 'a', name: 'A', role: 'admin', locale: 'en' };
const mgr: SessionUser = { id: 'manager3@example.com', email: 'm', name: 'M', role: 'manager', locale: 'en' };
async function time(name: string, fn: () => Promise<unknown>) {
  await fn();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) { const s = performance.now(); await fn(); runs.push(performance.now() - s); }
  runs.sort((a, b) => a - b);
  console.log(name.padEnd(40), 'median', runs[2]!.toFixed(1), 'max', runs[4]!.toFixed(1));
}
for (const [who, u] of [['admin', admin], ['manager', mgr]] as const) {
  await time(`${who} accounts default`, () => loadAccountsPage(db, u, new URLSearchParams()));
  await time(`${who} accounts page 100`, () => loadAccountsPage(db, u, new URLSearchParams('page=100&size=50')));
  await time(`${who} accounts q=ban`, () => loadAccountsPage(db, u, new URLSearchParams('q=ban')));
  await time(`${who} accounts tier+sort name`, () => loadAccountsPage(db, u, new URLSearchParams('tier=T3&sort=name')));
  await time(`${who} accounts ninebox`, () => loadAccountsPage(db, u, new URLSearchParams('potential=H&contribution=L')));
  await time(`${who} portfolio`, () => loadPortfolio(db, u));
  await time(`${who} reviews`, () => loadReviews(db, u, new URLSearchParams()));
}
const someMgrAcct = patches.find((p) => accts.find((a) => a.id === p.id)!.ownerId === mgr.id)!;
await time('admin detail', () => loadAccountDetail(db, admin, accts[0]!.id));
await time('manager detail', () => loadAccountDetail(db, mgr, someMgrAcct.id));
await d.close();
