import { openDatabase } from './db/client.js';
import { migrate } from './db/migrate.js';
import { seedDefaultRuleSets } from './db/repositories/rule-sets.js';
import { generateAccounts } from './db/demo/generate.js';
import { upsertAccounts, updateComputedMany } from './db/repositories/accounts.js';
import { decideAccount } from './engine/index.js';
import { rulesFor, levelSpecs } from './studio/src/lib/server/accounts.js';
import { countAccountsBy, nineBoxCounts, levelExpressions, pendingPlansWhere, stalledAccountsWhere, latestReviewRun } from './db/repositories/studio-support.js';
import { loadPortfolio } from './studio/src/lib/server/portfolio.js';
const d = await openDatabase({ dataDir: 'memory://', url: '' });
const db = d.db;
await migrate(db); await seedDefaultRuleSets(db);
const accts = generateAccounts(10000, 3);
await upsertAccounts(db, accts);
const patches = [];
for (const [i, a] of accts.entries()) { const dd = decideAccount(a, await rulesFor(db, a.industry)); patches.push({ id: a.id, score: dd.score, tier: dd.tier, class: dd.class, strategy: dd.strategy, stage: i % 3 ? 'execute' as const : 'plan' as const, health: 'green' as const, coverageTeam: dd.coverage.team }); }
await db.transaction(async (tx) => { for (let i = 0; i < patches.length; i += 1000) await updateComputedMany(tx, patches.slice(i, i + 1000)); });
async function time(name: string, fn: () => Promise<unknown>) { await fn(); const r: number[] = []; for (let i = 0; i < 7; i++) { const s = performance.now(); await fn(); r.push(performance.now() - s); } r.sort((a, b) => a - b); console.log(name.padEnd(30), r[3]!.toFixed(1)); }
const specs = await levelSpecs(db);
await time('counts', () => countAccountsBy(db, undefined, ['tier', 'class', 'stage', 'health', 'waitingFor']));
await time('ninebox', () => nineBoxCounts(db, undefined, levelExpressions(specs)));
await time('pending', () => pendingPlansWhere(db, undefined, 8));
await time('stalled', () => stalledAccountsWhere(db, undefined, { now: new Date(), stageForMs: 900000, executeForMs: 35 * 86400000 }));
await time('review', () => latestReviewRun(db));
await time('levelSpecs', () => levelSpecs(db));
await time('rulesFor *', () => rulesFor(db, '*'));
await time('portfolio', () => loadPortfolio(db, { id: 'admin', email: 'a', name: 'a', role: 'admin', locale: 'en' }));
await d.close();
