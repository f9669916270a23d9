import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.ts';
import { purgeIdempotencyKeys } from '../api/plugins/idempotency.ts';
import type { TelegramBot } from '../channels/telegram/bot.ts';
import type { Config } from '../config/schema.ts';
import { createPool } from '../db/pool.ts';
import { crontab, startWorker, taskHandlers, type Worker } from '../jobs/index.ts';
import type { Logger } from '../shared/logger.ts';
import { collectStartupGarbage } from '../shared/startup-gc.ts';
import { operatorRoles, type Role, Users } from '../users/index.ts';
import { startBot } from './bot.ts';
import { consoleDistDir, ensureConsoleBuilt } from './console-build.ts';
import {
  closeServices,
  createLedger,
  createProviders,
  createServices,
  migrate,
  onShutdownSignal,
  openDatabase,
} from './runtime.ts';

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  /** Commands without it refuse any argument but --help. */
  readonly acceptsArguments?: boolean;
  run(config: Config, logger: Logger, args: readonly string[]): Promise<number | 'running'>;
}

const start: Command = {
  summary: 'Run everything in one process (embedded PostgreSQL unless DATABASE_URL is set)',
  usage: 'chatpay start',
  help: `Starts ChatPay in one process: PostgreSQL (embedded in CHATPAY_DATA_DIR when DATABASE_URL is
unset), migrations, the ledger, the job worker and the HTTP server on HOST:PORT. Payment providers
without credentials run against local sandboxes (outside production), so deposits and withdrawals
work end to end with no provider account. Prints the URL it serves.
SIGINT (Ctrl-C) or SIGTERM stops it and the embedded database cleanly.`,
  async run(config, logger) {
    return runServer(config, logger, { migrate: true, worker: true, sandboxes: true, name: 'chatpay-start' });
  },
};

async function runServer(
  config: Config,
  logger: Logger,
  mode: { migrate: boolean; worker: boolean; sandboxes: boolean; name: string },
): Promise<'running'> {
  const database = await openDatabase(config, logger, mode.name);
  try {
    if (mode.migrate) await migrate(database, logger, config);
  } catch (error) {
    await database.close();
    throw error;
  }
  const { ledger, close: closeLedger } = createLedger(config, database, logger);
  ledger.start();
  const providers = await createProviders(config, logger, mode.sandboxes);
  const services = await createServices(config, database, ledger, logger, providers);
  let simulatorUrl: string | undefined;
  // The all-in-one start builds the console on first run; `serve` serves what `npm run build` made.
  const consoleDir = mode.sandboxes ? await ensureConsoleBuilt(logger) : consoleDistDir;
  const app = await buildApp({
    services,
    logLevel: config.logLevel,
    rateLimits: config.rateLimit,
    httpsWebhooksOnly: config.env === 'production',
    secureCookies: config.env === 'production',
    metricsAccess: config.metricsToken ?? (config.env === 'production' ? 'closed' : 'open'),
    consoleDir,
    simulatorUrl: () => simulatorUrl,
  });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  // Sandboxes send dashboard-style webhooks to the address actually bound (PORT=0 picks one).
  const publicUrl = config.publicUrl.endsWith(':0') ? address : config.publicUrl;
  for (const [id, sandbox] of providers.sandboxes)
    sandbox.control.setWebhookUrl(`${publicUrl}/v1/webhooks/${id}`);
  // The all-in-one process runs the bot (against the sandbox without a token); `serve` only takes
  // its webhooks, which the workers handle.
  const bot = mode.worker
    ? await startBot(config, database, services, logger, { sandbox: mode.sandboxes, publicUrl })
    : undefined;
  simulatorUrl = bot?.simulatorUrl;
  const worker = mode.worker ? await startJobWorker(config, database, services, logger, bot?.bot) : undefined;
  onShutdownSignal(logger, async () => {
    await app.close();
    await bot?.stop();
    await worker?.stop();
    await closeLedger();
    await closeServices(services);
    await providers.close();
    await database.close();
  });
  // Start-up garbage left in the old generation slows every scavenge under load until V8's first
  // full collection (src/shared/startup-gc.ts): collect it now, once, before taking traffic.
  collectStartupGarbage();
  const where = database.embedded ? `embedded PostgreSQL on port ${database.embedded.port}` : 'DATABASE_URL';
  process.stdout.write(`ChatPay is running at ${address} (database: ${where}). Press Ctrl-C to stop.\n`);
  process.stdout.write(`  console: ${address}/console\n`);
  for (const [id, sandbox] of providers.sandboxes) process.stdout.write(`  ${id} sandbox: ${sandbox.url}\n`);
  if (bot?.simulatorUrl) process.stdout.write(`  chat simulator: ${address}/simulator\n`);
  return 'running';
}

/**
 * The worker's own connections, committing asynchronously: they carry only the queue's bookkeeping
 * (taking and completing jobs). A completion lost in a crash re-runs an idempotent job; the money
 * and the payments' states commit synchronously through the services' pools.
 */
async function startJobWorker(
  config: Config,
  database: Awaited<ReturnType<typeof openDatabase>>,
  services: Awaited<ReturnType<typeof createServices>>,
  logger: Logger,
  telegram?: TelegramBot,
): Promise<Worker> {
  const queuePool = createPool({
    url: database.url,
    max: config.worker.concurrency + 2,
    statementTimeoutMs: config.database.statementTimeoutMs,
    logger,
    applicationName: 'chatpay-worker',
    asynchronousCommit: true,
  });
  const worker = await startWorker({
    pool: queuePool,
    logger,
    concurrency: config.worker.concurrency,
    crontab,
    tasks: taskHandlers({
      pool: database.pool,
      payments: services.payments,
      held: services.held,
      events: services.events,
      merchantWebhooks: services.merchantWebhooks,
      telegram,
      purgeIdempotencyKeys: () => purgeIdempotencyKeys(database.pool, config.idempotencyKeyRetentionHours),
    }),
  });
  return {
    async stop() {
      await worker.stop();
      await queuePool.end();
    },
  };
}

const workerCommand: Command = {
  summary: 'Run the job worker (webhooks, payouts, notifications, reconciliation) against DATABASE_URL',
  usage: 'chatpay worker',
  help: `Runs jobs from the PostgreSQL job queue: applying provider webhooks, sending payouts, notifying
users, reconciling pending payments (every minute) and purging old idempotency keys (hourly). Several
workers may run; each job goes to one of them. Needs DATABASE_URL and configured providers.`,
  async run(config, logger) {
    if (!config.database.url) {
      process.stderr.write(
        'chatpay worker: DATABASE_URL is required (use `chatpay start` for embedded defaults)\n',
      );
      return 78;
    }
    const database = await openDatabase(config, logger, 'chatpay-worker');
    const { ledger, close: closeLedger } = createLedger(config, database, logger);
    const providers = await createProviders(config, logger, false);
    const services = await createServices(config, database, ledger, logger, providers);
    // Chat notices are jobs whichever way updates arrive, and in webhook mode so are the updates: with
    // a bot token this worker runs a bot that only sends (it never polls; `chatpay bot` does that).
    const bot = config.telegram.token
      ? await startBot(config, database, services, logger, {
          sandbox: false,
          publicUrl: config.publicUrl,
          role: 'jobs-only',
        })
      : undefined;
    const worker = await startJobWorker(config, database, services, logger, bot?.bot);
    onShutdownSignal(logger, async () => {
      await worker.stop();
      await bot?.stop();
      await closeLedger();
      await closeServices(services);
      await providers.close();
      await database.close();
    });
    process.stdout.write('ChatPay worker is running. Press Ctrl-C to stop.\n');
    return 'running';
  },
};

const botCommand: Command = {
  summary: 'Run the Telegram bot (long polling) against DATABASE_URL',
  usage: 'chatpay bot',
  help: `Runs the Telegram bot with long polling (one process per bot token: Telegram allows one poller).
Needs DATABASE_URL and TELEGRAM_BOT_TOKEN. With TELEGRAM_WEBHOOK_SECRET set, use webhook mode instead:
\`chatpay serve\` receives the updates and \`chatpay worker\` answers them.`,
  async run(config, logger) {
    if (!config.database.url || !config.telegram.token || config.telegram.webhookSecret) {
      process.stderr.write(
        'chatpay bot: needs DATABASE_URL and TELEGRAM_BOT_TOKEN, and no TELEGRAM_WEBHOOK_SECRET (webhook mode runs in serve + worker)\n',
      );
      return 78;
    }
    const database = await openDatabase(config, logger, 'chatpay-bot');
    const { ledger, close: closeLedger } = createLedger(config, database, logger);
    const providers = await createProviders(config, logger, false);
    const services = await createServices(config, database, ledger, logger, providers);
    const bot = await startBot(config, database, services, logger, {
      sandbox: false,
      publicUrl: config.publicUrl,
    });
    onShutdownSignal(logger, async () => {
      await bot?.stop();
      await closeLedger();
      await closeServices(services);
      await providers.close();
      await database.close();
    });
    process.stdout.write('ChatPay Telegram bot is running (long polling). Press Ctrl-C to stop.\n');
    return 'running';
  },
};

const serve: Command = {
  summary: 'Run the API (HTTP, webhooks, realtime) against DATABASE_URL',
  usage: 'chatpay serve',
  help: `Serves the HTTP API on HOST:PORT against DATABASE_URL (required: no embedded database here).
Does not migrate: run \`chatpay migrate\` first. Several \`serve\` processes may run behind a load
balancer; set REDIS_URL so they share rate limits and realtime events. Run \`chatpay worker\` beside
them: it applies provider webhooks, sends payouts and merchant webhooks, reconciles and cleans up.`,
  async run(config, logger) {
    if (!config.database.url) {
      process.stderr.write(
        'chatpay serve: DATABASE_URL is required (use `chatpay start` for embedded defaults)\n',
      );
      return 78;
    }
    return runServer(config, logger, {
      migrate: false,
      worker: false,
      sandboxes: false,
      name: 'chatpay-serve',
    });
  },
};

const adminCreate: Command = {
  summary: 'Create an operator and print a one-time password',
  usage: 'chatpay admin create --email <email> [--role admin|finance|support|viewer]',
  acceptsArguments: true,
  help: `Creates an operator account for the console and the operator API, with a random password printed
once (change it after signing in). Roles: admin (everything), finance (payouts, reports), support
(users, tickets), viewer (read only).`,
  async run(config, logger, args) {
    let values: { email?: string | undefined; role?: string | undefined };
    try {
      ({ values } = parseArgs({
        args: [...args],
        options: { email: { type: 'string' }, role: { type: 'string', default: 'admin' } },
        strict: true,
      }));
    } catch {
      process.stderr.write(`Usage: ${adminCreate.usage}\n`);
      return 2;
    }
    const role = values.role as Role;
    if (!values.email || !operatorRoles.includes(role)) {
      process.stderr.write(`Usage: ${adminCreate.usage}\n`);
      return 2;
    }
    const database = await openDatabase(config, logger, 'chatpay-admin');
    try {
      await migrate(database, logger, config);
      const password = randomBytes(18).toString('base64url');
      const user = await new Users(database.pool).register({ email: values.email, password, role });
      process.stdout.write(
        `operator ${user.id} (${user.email}, ${role}) created\none-time password: ${password}\n`,
      );
      return 0;
    } finally {
      await database.close();
    }
  },
};

const migrateCommand: Command = {
  summary: 'Apply pending database migrations and exit',
  usage: 'chatpay migrate',
  help: 'Applies every pending migration to DATABASE_URL (or the embedded PostgreSQL) and exits.',
  async run(config, logger) {
    const database = await openDatabase(config, logger, 'chatpay-migrate');
    try {
      await migrate(database, logger, config);
      process.stdout.write('migrations are up to date\n');
      return 0;
    } finally {
      await database.close();
    }
  },
};

const ledgerVerify: Command = {
  summary: 'Check every ledger invariant; exit 1 naming what fails',
  usage: 'chatpay ledger verify',
  help: `Checks, in one consistent snapshot: per currency, debits equal credits (posted and pending); no
account breaks its flags; each account's totals equal the sum of its transfers; every pending transfer
is resolved at most once and by a matching transfer; every transfer's currency matches its accounts'.
Exits 0 when all hold, 1 (listing each violation and the account or transfer) when one fails.`,
  async run(config, logger) {
    const database = await openDatabase(config, logger, 'chatpay-verify');
    try {
      await migrate(database, logger, config);
      const { ledger, close } = createLedger(config, database, logger);
      const violations = await ledger.verify();
      await close();
      for (const v of violations) process.stdout.write(`FAIL ${v.check}: ${v.detail}\n`);
      process.stdout.write(violations.length === 0 ? 'ledger verified: all invariants hold\n' : '');
      return violations.length === 0 ? 0 : 1;
    } finally {
      await database.close();
    }
  },
};

/** Every command, by its words on the command line. */
export const commands: Readonly<Record<string, Command>> = {
  start,
  serve,
  worker: workerCommand,
  bot: botCommand,
  'admin create': adminCreate,
  migrate: migrateCommand,
  'ledger verify': ledgerVerify,
};
