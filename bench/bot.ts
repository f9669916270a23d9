/**
 * `npm run bench:bot`: the Telegram bot through the webhook path, against our Bot API sandbox. The
 * sandbox POSTs each update to `/v1/channels/telegram/webhook`; as in `chatpay start`, the process that
 * receives it runs the flow (PostgreSQL session, services, ledger) before answering, and the bot answers
 * through the sandbox (the job queue takes only what misses the route's deadline). BENCH_USERS
 * (default 40) simulated people each run conversations closed-loop for BENCH_SECONDS (10): half
 * `/balance`, half a four-update `/send` to another person. In the same run and on the same sandbox, a
 * bare grammY bot (webhookCallback, answering every message with a fixed text) is driven the same way.
 * The bots take turns, BENCH_ROUNDS (3) times each, so that a drift of the machine's speed during the
 * run weighs on all alike (run one after the other, the halves differed by up to a third). Prints one
 * JSON line per bot (all its rounds together) and one with the ratio. Target: ≥ 50 % of the bare rate.
 *
 * ChatPay answers questions and balances in the webhook's reply (src/channels/telegram/webhook-reply.ts);
 * grammY's default, which the bare bot keeps, is a request per reply. For reference, a third bot is
 * the bare one answering in the webhook reply too, with its own ratio line (not the target's).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot, webhookCallback } from 'grammy';
import { buildApp } from '../src/api/app.ts';
import { FlowEngine } from '../src/channels/flows/index.ts';
import { TelegramBot } from '../src/channels/telegram/bot.ts';
import { type SandboxUser, startTelegramSandbox } from '../src/channels/telegram/sandbox.ts';
import {
  closeServices,
  createLedger,
  createProviders,
  createServices,
  type Database,
} from '../src/cli/runtime.ts';
import { loadConfig } from '../src/config/load.ts';
import { createPool } from '../src/db/pool.ts';
import { crontab, startWorker, taskHandlers } from '../src/jobs/index.ts';
import { newId } from '../src/shared/ids.ts';
import { parseAmount } from '../src/shared/money.ts';
import { benchDatabase, benchLogger, percentile, round } from './lib/database.ts';

const durationMs = 1000 * setting('BENCH_SECONDS', 10);
const usersCount = setting('BENCH_USERS', 40);
const rounds = Math.round(setting('BENCH_ROUNDS', 3));
const replyWaitMs = 30_000;
const secret = `bench_${newId('s').slice(2)}`;

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:bot failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const db = await benchDatabase();
  const telegram = await startTelegramSandbox({ logger: benchLogger });
  const config = loadConfig({
    DATABASE_URL: db.url.reveal(),
    TELEGRAM_WEBHOOK_SECRET: secret,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const pool = createPool({ url: db.url, max: 20, statementTimeoutMs: 30_000, logger: benchLogger });
  const database: Database = { pool, url: db.url, embedded: undefined, close: async () => pool.end() };
  const { ledger, close: closeLedger } = createLedger(config, database, benchLogger);
  const providers = await createProviders(config, benchLogger, false);
  const services = await createServices(config, database, ledger, benchLogger, providers);
  const app = await buildApp({
    services,
    logLevel: 'warn',
    rateLimits: { perMinute: 1_000_000, authPerMinute: 1_000_000 },
  });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  // As `chatpay start` configures it (src/cli/bot.ts).
  const sessionPool = createPool({
    url: db.url,
    max: 16,
    statementTimeoutMs: 30_000,
    logger: benchLogger,
    asynchronousCommit: true,
  });
  const bot = new TelegramBot({
    token: telegram.token,
    apiRoot: telegram.url,
    engine: new FlowEngine({ sessionPool, services, logger: benchLogger, sessionTimeoutSeconds: 900 }),
    logger: benchLogger,
    botInfo: telegram.botInfo,
    updatesPerUserPer10s: 1_000_000,
  });
  // As `chatpay start` does: the process that receives the webhook also runs the bot.
  if (services.telegramInline)
    services.telegramInline.handler = (update, reply) => bot.handleUpdate(update as never, reply);
  const queuePool = createPool({
    url: db.url,
    max: 10,
    statementTimeoutMs: 30_000,
    logger: benchLogger,
    asynchronousCommit: true,
  });
  const worker = await startWorker({
    pool: queuePool,
    logger: benchLogger,
    concurrency: 8,
    crontab,
    tasks: taskHandlers({
      pool,
      payments: services.payments,
      merchantWebhooks: services.merchantWebhooks,
      telegram: bot,
      purgeIdempotencyKeys: async () => 0,
    }),
  });
  try {
    const webhookUrl = `${baseUrl}/v1/channels/telegram/webhook`;
    await bot.bot.api.setWebhook(webhookUrl, { secret_token: secret });
    const users = await preparePeople(telegram, services, ledger);
    const bare = await bareBot(telegram, false);
    const bareReplying = await bareBot(telegram, true);
    const bots = [
      {
        scenario: 'chatpay_bot',
        api: bot.bot.api,
        url: webhookUrl,
        run: conversation,
        played: [] as Round[],
      },
      { scenario: 'bare_grammy', ...bare, run: pingPong, played: [] as Round[] },
      { scenario: 'bare_grammy_webhook_reply', ...bareReplying, run: pingPong, played: [] as Round[] },
    ];
    try {
      for (let r = 0; r < rounds; r++) {
        for (const b of bots) {
          await b.api.setWebhook(b.url, { secret_token: secret });
          b.played.push(await drive(users, b.run));
        }
      }
    } finally {
      await bare.close();
      await bareReplying.close();
    }
    const [oursRate, bareRate, replyingRate] = bots.map((b) =>
      report(b.scenario, users.length, b.played),
    ) as [number, number, number];
    printLine({ scenario: 'ratio', chatpay_vs_bare: round(oursRate / bareRate, 3), target: 0.5 });
    printLine({
      scenario: 'ratio_reference',
      chatpay_vs_bare_webhook_reply: round(oursRate / replyingRate, 3),
    });
  } finally {
    await worker.stop();
    await app.close();
    await bot.stop();
    await closeLedger();
    await queuePool.end();
    await sessionPool.end();
    await providers.close();
    // Everything the services hold (the event bus, the payment rules' poll, their own pools), as
    // `chatpay start` closes them: a timer left running here used the pool after it had ended.
    await closeServices(services);
    await pool.end();
    await telegram.close();
    await db.close();
  }
}

/** Registers every person (/start), gives each a username and money to send. */
async function preparePeople(
  telegram: Awaited<ReturnType<typeof startTelegramSandbox>>,
  services: Awaited<ReturnType<typeof createServices>>,
  ledger: Awaited<ReturnType<typeof createLedger>>['ledger'],
): Promise<SandboxUser[]> {
  const users = Array.from({ length: usersCount }, (_, i) =>
    telegram.user({ username: `bench_${i}`, firstName: `Bench${i}`, languageCode: 'en' }),
  );
  await Promise.all(
    users.map(async (u) => {
      u.send('/start');
      await u.waitForMessage((m) => /Welcome/.test(m.text ?? ''), replyWaitMs);
    }),
  );
  const source = `bench_source_${newId('x').slice(2)}`;
  await ledger.createAccounts([{ id: source, currency: 'KES', kind: 'suspense' }]);
  for (const u of users) {
    const { user } = await services.users.fromChat('telegram', String(u.id), {});
    const wallet = await services.wallets.ensure(user.id, 'KES');
    await ledger.createTransfers([
      {
        id: newId('txf'),
        debitAccountId: source,
        creditAccountId: wallet,
        amount: parseAmount('100000', 'KES'),
        currency: 'KES',
        code: 'deposit',
      },
    ]);
  }
  return users;
}

/** One conversation: `/balance` (one update) or a `/send` (four). Returns the updates it took. */
async function conversation(
  user: SandboxUser,
  index: number,
  users: readonly SandboxUser[],
): Promise<number[]> {
  const step = async (act: () => unknown, expected: RegExp) => {
    const started = performance.now();
    act();
    await user.waitForMessage((m) => expected.test(m.text ?? ''), replyWaitMs);
    return performance.now() - started;
  };
  if (index % 2 === 0) return [await step(() => user.send('/balance'), /KES/)];
  const to = users[(users.indexOf(user) + 1) % users.length] as SandboxUser;
  return [
    await step(() => user.send('/send'), /Who should get/),
    await step(() => user.send(`@${to.username}`), /How much/),
    await step(() => user.send('1'), /Send 1.00 KES/),
    await step(() => user.pressButton('Confirm'), /Sent 1.00 KES/),
  ];
}

interface Round {
  readonly latenciesMs: number[];
  readonly elapsedS: number;
}

/** Every person runs conversations back to back for one round's share of the duration. */
async function drive(
  users: readonly SandboxUser[],
  run: (user: SandboxUser, index: number, users: readonly SandboxUser[]) => Promise<number[]>,
): Promise<Round> {
  const latenciesMs: number[] = [];
  const deadline = performance.now() + durationMs / rounds;
  const started = performance.now();
  await Promise.all(
    users.map(async (user) => {
      for (let i = 0; performance.now() < deadline; i++) latenciesMs.push(...(await run(user, i, users)));
    }),
  );
  return { latenciesMs, elapsedS: (performance.now() - started) / 1000 };
}

/** Prints one bot's line over all its rounds; returns its updates handled per second. */
function report(scenario: string, users: number, played: readonly Round[]): number {
  const latenciesMs = played.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const rate = latenciesMs.length / played.reduce((sum, r) => sum + r.elapsedS, 0);
  printLine({
    scenario,
    users,
    rounds: played.length,
    updates: latenciesMs.length,
    updates_per_s: round(rate, 1),
    p50_ms: round(percentile(latenciesMs, 50)),
    p99_ms: round(percentile(latenciesMs, 99)),
  });
  return rate;
}

/**
 * A grammY bot that answers every message with a fixed text, on its own webhook server; with
 * `webhookReply`, the answer goes in the webhook's reply (grammY's `canUseWebhookReply`).
 */
async function bareBot(
  telegram: Awaited<ReturnType<typeof startTelegramSandbox>>,
  webhookReply: boolean,
): Promise<{ api: Bot['api']; url: string; close: () => Promise<void> }> {
  const bare = new Bot(telegram.token, {
    client: { apiRoot: telegram.url, canUseWebhookReply: () => webhookReply },
    botInfo: telegram.botInfo,
  });
  bare.on('message', (ctx) => ctx.reply('pong'));
  const handle = webhookCallback(bare, 'http', { secretToken: secret });
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    api: bare.api,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The bare bot's conversation: one message, one fixed answer. */
async function pingPong(user: SandboxUser): Promise<number[]> {
  const started = performance.now();
  user.send('ping');
  await user.waitForMessage((m) => m.text === 'pong', replyWaitMs);
  return [performance.now() - started];
}

function printLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function setting(name: string, defaultValue: number): number {
  const value = Number(process.env[name] ?? defaultValue);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
