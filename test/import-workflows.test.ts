/**
 * `esp import` and the account workflows, on a real Temporal dev server (non-default ports) with
 * a worker on PostgreSQL: an import starts the workflows of new accounts and tells those of the
 * accounts it changed, for `esp import accounts` and `esp import crm` alike; `--no-workflows` does
 * neither; an unreachable Temporal is said plainly.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../scripts/temporal/binaries.js';
import { startDevServer, type DevServer } from '../scripts/temporal/dev-server.js';
import { accountState } from '../workflows/client.js';
import type { WorkerHandle } from '../workflows/worker.js';
import { runEsp } from './helpers/cli.js';
import { openTestDatabase, type TestDatabase } from './helpers/databases.js';
import { freePort } from './helpers/ports.js';
import { startTestWorker, until } from './helpers/temporal.js';

const TASK_QUEUE = 'esp-import-workflows';

let scratch: string;
let t: TestDatabase;
let server: DevServer;
let connection: Connection;
let client: Client;
let worker: WorkerHandle;
const saved = { ...process.env };

async function csv(name: string, text: string): Promise<string> {
  const file = path.join(scratch, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'esp-import-wf-'));
  const [port, uiPort, cli] = await Promise.all([freePort(), freePort(), findTemporalCli()]);
  t = await openTestDatabase('postgres');
  server = await startDevServer({ dataDir: scratch, port, uiPort, cliPath: cli, reuseExisting: false });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  worker = await startTestWorker(native, t.db, TASK_QUEUE);
  Object.assign(process.env, { DATABASE_URL: t.url!, TEMPORAL_ADDRESS: server.address, ESP_TASK_QUEUE: TASK_QUEUE });
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await worker?.shutdown();
  await connection?.close();
  await server?.stop();
  await t?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('esp import and the workflows', () => {
  it(
    'starts a new account below the gate, which waits at profile; a second import wakes it and it is graded',
    { timeout: 120_000 },
    async () => {
      const first = await runEsp(
        'import',
        'accounts',
        await csv('a1.csv', 'id,name,industry,region,revenueWithUs\nIMP-1,Imported,finance,East,2000000\n'),
      );
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('workflows: 1 started, 0 told of the change');
      const waiting = await until(
        'the profile wait',
        () => accountState(client, 'IMP-1'),
        (s) => s.waitingFor === 'profile-data',
        60_000,
        200,
      );
      expect(waiting.stage).toBe('profile');

      const second = await runEsp(
        'import',
        'accounts',
        await csv(
          'a2.csv',
          'id,name,status,ownerId,employees,companyRevenue,potential,demonstration,winnability\nIMP-1,Imported,active,u-1,5000,900000000,30000000,70,60\n',
        ),
      );
      expect(second.stdout).toContain('workflows: 0 started, 1 told of the change');
      const graded = await until(
        'the grade',
        () => accountState(client, 'IMP-1'),
        (s) => s.tier !== null && s.stage !== 'profile',
        30_000,
        200,
      );
      expect(graded.history.map((h) => h.stage)).toContain('grade');
    },
  );

  it(
    'esp import crm starts a new account below the gate; a re-import with its revenue wakes it and it is graded',
    { timeout: 120_000 },
    async () => {
      // Every grade input from a column (no placeholders), so the one gap is the company revenue.
      const mapping = JSON.stringify({
        accounts: {
          id: 'account',
          name: 'account',
          industry: { column: 'sector', map: { medical: 'healthcare' } },
          employees: 'employees',
          companyRevenue: { column: 'revenue', multiply: 1_000_000 },
          potential: 'potential',
          demonstration: 'demonstration',
          winnability: 'winnability',
        },
        opportunities: {
          id: 'opportunity_id',
          account: 'account',
          agent: 'sales_agent',
          product: 'product',
          stage: 'deal_stage',
          engageDate: 'engage_date',
          closeDate: 'close_date',
          value: 'close_value',
          wonStages: ['Won'],
          lostStages: ['Lost'],
          unknownAccounts: 'skip',
        },
        teams: { agent: 'sales_agent', manager: 'manager', region: 'regional_office' },
        users: { emailDomain: 'crm.example.com' },
      });
      const files = async (revenue: string) => [
        '--accounts',
        await csv(
          `crm-accounts-${revenue || 'none'}.csv`,
          `account,sector,revenue,employees,potential,demonstration,winnability\nCrm Health,medical,${revenue},5000,30000000,70,60\n`,
        ),
        '--opportunities',
        await csv(
          'crm-pipeline.csv',
          'opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n' +
            'CRM-O1,Anna Crm,GTX,Crm Health,Won,2017-01-10,2017-06-01,2000000\n',
        ),
        '--teams',
        await csv('crm-teams.csv', 'sales_agent,manager,regional_office\nAnna Crm,Boss Crm,East\n'),
        '--mapping',
        await csv('crm-mapping.json', mapping),
        '--as-of',
        '2017-12-31',
      ];

      const first = await runEsp('import', 'crm', ...(await files('')));
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain('written: accounts 1 new, 0 updated');
      expect(first.stdout).toContain('workflows: 1 started, 0 told of the change');
      const waiting = await until(
        'the profile wait',
        () => accountState(client, 'Crm Health'),
        (s) => s.waitingFor === 'profile-data',
        60_000,
        200,
      );
      expect(waiting.missing).toContain('companyRevenue');

      const second = await runEsp('import', 'crm', ...(await files('900')));
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toContain('written: accounts 0 new, 1 updated');
      expect(second.stdout).toContain('workflows: 0 started, 1 told of the change');
      const graded = await until(
        'the grade',
        () => accountState(client, 'Crm Health'),
        (s) => s.tier !== null && s.stage !== 'profile',
        30_000,
        200,
      );
      expect(graded.missing).not.toContain('companyRevenue');
      expect(graded.history.map((h) => h.stage)).toContain('grade');
    },
  );

  it('--no-workflows neither starts nor tells', { timeout: 60_000 }, async () => {
    const r = await runEsp('import', 'accounts', await csv('a3.csv', 'id,name\nIMP-2,Quiet\n'), '--no-workflows');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('workflows:');
    await expect(client.workflow.getHandle('account:IMP-2').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('says plainly when Temporal is unreachable, and the import stands', { timeout: 60_000 }, async () => {
    process.env['TEMPORAL_ADDRESS'] = `127.0.0.1:${await freePort()}`;
    try {
      const r = await runEsp(
        'import',
        'contacts',
        await csv('c1.csv', 'accountId,id,name,influence,stance\nIMP-2,c1,Li Wei,5,1\n'),
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Temporal is not reachable');
      expect(r.stdout).toContain('The import stands');
    } finally {
      process.env['TEMPORAL_ADDRESS'] = server.address;
    }
  });
});
