// Runs `temporal server start-dev` with a persistent SQLite file, or reuses a
// Temporal server already listening on the port (e.g. from an earlier
// `npm start` in another terminal).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { findTemporalCli, PROJECT_ROOT } from './binaries.js';
import { portIsOpen } from '../ports.js';

export interface DevServerOptions {
  /** Folder of `temporal.db`; relative paths are from the project root. Default `.data`. */
  dataDir?: string;
  /** Frontend gRPC port. Default 7233. */
  port?: number;
  /** Web UI port. Default 8233. */
  uiPort?: number;
  /** Default `default`. */
  namespace?: string;
  /** Receives the server's stdout and stderr. Default: discarded (the tail is kept for errors). */
  log?: NodeJS.WritableStream;
  /** Interface to bind and connect to. Default `127.0.0.1`. */
  ip?: string;
  /** How long to wait for the frontend to answer. Default 60 s. */
  startTimeoutMs?: number;
  /** Reuse a Temporal server already on the port instead of failing. Default true. */
  reuseExisting?: boolean;
  /** Skip the binary lookup (`findTemporalCli()`). */
  cliPath?: string;
}

export interface DevServer {
  /** `host:port` for `Connection.connect({ address })` / `NativeConnection.connect`. */
  address: string;
  /** For a reused server this is only where its UI would be with the given `uiPort`. */
  uiUrl: string;
  namespace: string;
  /** True when an already running server was found and is left running by `stop()`. */
  reused: boolean;
  /** The `temporal.db` in use, when this call started the server. */
  dbFile?: string;
  pid?: number;
  /** Stops the server this call started; a no-op for a reused one. */
  stop(): Promise<void>;
}

export function devServerArgs(o: { dbFile: string; ip: string; port: number; uiPort: number; namespace: string }): string[] {
  return [
    'server',
    'start-dev',
    '--db-filename',
    o.dbFile,
    // WAL + synchronous=OFF: far fewer fsyncs per workflow task. A process
    // crash loses nothing; only an OS crash/power loss can lose the last
    // commits, acceptable for a dev database.
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=OFF',
    '--ip',
    o.ip,
    '--port',
    String(o.port),
    '--ui-port',
    String(o.uiPort),
    '--namespace',
    o.namespace,
    '--log-level',
    'warn',
    // The dev server has one history shard, whose caches (512 executions, 512 events) are smaller
    // than the accounts a review or an onboarding keeps busy: every miss reloads from SQLite.
    '--dynamic-config-value',
    'history.cacheMaxSize=10000',
    '--dynamic-config-value',
    'history.eventsCacheMaxSize=10000',
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
  ];
}

/**
 * Keeps the first and the last lines of the server output for error messages: a Go panic names
 * its cause at the top and prints goroutine stacks after it.
 */
class Tail {
  private head: string[] = [];
  private lines: string[] = [];
  private dropped = 0;
  private partial = '';
  constructor(
    private readonly maxHead = 10,
    private readonly max = 40,
  ) {}
  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (this.head.length < this.maxHead) this.head.push(line);
      else this.lines.push(line);
    }
    if (this.lines.length > this.max) {
      this.dropped += this.lines.length - this.max;
      this.lines.splice(0, this.lines.length - this.max);
    }
  }
  toString(): string {
    const gap = this.dropped > 0 ? [`… (${this.dropped} lines)`] : [];
    return [...this.head, ...gap, ...this.lines, this.partial].filter((l) => l.trim() !== '').join('\n');
  }
}

/** Connects and checks the namespace answers; throws if not (yet). */
async function connectReady(address: string, namespace: string): Promise<Connection> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return connection;
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/**
 * `--search-attribute` only registers attributes in namespaces the CLI creates
 * in that run: with an existing db file (and for a reused server), attributes
 * added to SEARCH_ATTRIBUTES later would be missing. So add what is missing
 * through the operator API, every start.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const keyword = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const wrongType = SEARCH_ATTRIBUTES.filter((n) => n in existing && existing[n] !== keyword);
  if (wrongType.length > 0) {
    throw new Error(
      `search attribute(s) ${wrongType.join(', ')} exist in namespace "${namespace}" with a type other than Keyword; ` +
        'delete the dev database (e.g. .data/temporal.db*) or remove them with `temporal operator search-attribute remove`',
    );
  }
  const missing = SEARCH_ATTRIBUTES.filter((n) => !(n in existing));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((n) => [n, keyword])),
  });
}

async function reuse(address: string, uiUrl: string, namespace: string): Promise<DevServer> {
  let connection: Connection;
  try {
    connection = await connectReady(address, namespace);
  } catch (err) {
    throw new Error(
      `port ${address} is in use but does not answer as a Temporal server with namespace "${namespace}" ` +
        `(${(err as Error).message}). Stop whatever listens there or pass another port.`,
    );
  }
  try {
    await ensureSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
  return { address, uiUrl, namespace, reused: true, stop: async () => undefined };
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const namespace = opts.namespace ?? 'default';
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const address = `${ip}:${port}`;
  const uiUrl = `http://${ip}:${uiPort}`;

  if (await portIsOpen(ip, port)) {
    if (opts.reuseExisting === false) throw new Error(`port ${address} is already in use`);
    return reuse(address, uiUrl, namespace);
  }

  const dataDir = path.resolve(PROJECT_ROOT, opts.dataDir ?? '.data');
  await mkdir(dataDir, { recursive: true });
  const dbFile = path.join(dataDir, 'temporal.db');
  const cli = opts.cliPath ?? (await findTemporalCli());
  const args = devServerArgs({ dbFile, ip, port, uiPort, namespace });
  const newFile = !existsSync(dbFile);
  const launch = { cli, args, ip, port, address, uiUrl, namespace, dbFile, startTimeoutMs, log: opts.log };

  for (let attempt = 1; ; attempt++) {
    try {
      return await launchDevServer(launch);
    } catch (error) {
      // The e2e suite once saw a server panic at start while other test files started theirs. The
      // likely cause: the dev server chooses the ports of its internal services itself (it binds
      // port 0, closes it and listens on it again), and a process starting beside it can take one
      // in between. Another start chooses other ports.
      if (!(error instanceof ExitedEarly) || attempt >= START_ATTEMPTS) throw error;
      // A file the failed start created may hold a half-made schema: start from nothing again.
      if (newFile) await Promise.all(['', '-wal', '-shm'].map((suffix) => rm(dbFile + suffix, { force: true })));
    }
  }
}

/** Starts before the server gives up on an early exit. */
const START_ATTEMPTS = 3;

/** The server process ended before it answered: worth another start, unlike a timeout. */
class ExitedEarly extends Error {}

async function launchDevServer(o: {
  cli: string;
  args: string[];
  ip: string;
  port: number;
  address: string;
  uiUrl: string;
  namespace: string;
  dbFile: string;
  startTimeoutMs: number;
  log: NodeJS.WritableStream | undefined;
}): Promise<DevServer> {
  const { cli, args, ip, port, address, uiUrl, namespace, dbFile, startTimeoutMs } = o;
  const output = new Tail();
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output.push(chunk);
      o.log?.write(chunk);
    });
  }
  // Without this the server outlives a test runner or script that exits
  // without calling stop() and keeps the port and the db file busy.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let exitInfo: string | undefined;
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    process.removeListener('exit', killOnExit);
  });
  child.once('exit', (code, signal) => {
    exitInfo = signal ? `signal ${signal}` : `code ${code}`;
    process.removeListener('exit', killOnExit);
  });

  const command = `${cli} ${args.join(' ')}`;
  const fail = async (why: string, Failure: new (message: string) => Error = Error): Promise<never> => {
    if (!exitInfo && !spawnError) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
    const out = output.toString();
    throw new Failure(
      `Temporal dev server did not start: ${why}\ncommand: ${command}` +
        (out ? `\nserver output:\n${out}` : '\n(the server printed nothing)'),
    );
  };

  const deadline = Date.now() + startTimeoutMs;
  let lastError = '';
  let connection: Connection;
  for (;;) {
    if (spawnError) return fail(`could not run ${cli}: ${spawnError.message}`);
    if (exitInfo) return fail(`it exited early with ${exitInfo}`, ExitedEarly);
    if (Date.now() > deadline) {
      return fail(`no answer on ${address} within ${startTimeoutMs} ms (last error: ${lastError || 'none'})`);
    }
    try {
      // Plain TCP first: a gRPC connect to a port not yet open sits out
      // grpc-js's 1 s reconnect backoff, which doubled the start time.
      if (!(await portIsOpen(ip, port, 500))) throw new Error(`nothing listens on ${address} yet`);
      connection = await connectReady(address, namespace);
      break;
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (exitInfo) {
    // Whatever answered is not our child (it lost a race for the port).
    await connection.close();
    return fail(`it exited early with ${exitInfo}`);
  }
  try {
    await ensureSearchAttributes(connection, namespace);
  } catch (err) {
    return fail(`registering search attributes failed: ${(err as Error).message}`);
  } finally {
    await connection.close();
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exitInfo) return;
      // SIGTERM lets the server close the SQLite file cleanly.
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 15_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    })());

  return { address, uiUrl, namespace, reused: false, dbFile, ...(child.pid ? { pid: child.pid } : {}), stop };
}
