import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Pool } from '../../src/db/pool.ts';
import { Ledger, type TransferInput } from '../../src/ledger/index.ts';
import { Wallets } from '../../src/wallets/index.ts';
import { stderrLogger } from './api-pool.ts';

export interface BenchUser {
  readonly id: string;
  readonly accessToken: string;
}

// Registration and sign-in each hash with argon2id (19 MiB, on the server's libuv pool of 4 threads):
// more at once only queues there.
const setupConcurrencyMax = 4;
const setupRequestTimeoutMs = 30_000;
const fundingAccountId = 'bench-funding';
const transfersPerCallMax = 4096;

/**
 * Registers `count` users over the API and signs each in: the tokens the load driver sends. Each user
 * connects from its own loopback address, as real users come from their own IPs: sign-up and sign-in
 * are rate limited per IP, and 400 of them from one address would look like password guessing.
 */
export async function registerUsers(baseUrl: string, count: number): Promise<BenchUser[]> {
  const run = randomBytes(4).toString('hex');
  const users: BenchUser[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      users[i] = await registerUser(new URL(baseUrl), `bench-${run}-${i}`, loopbackAddress(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(setupConcurrencyMax, count) }, worker));
  return users;
}

// All of 127.0.0.0/8 is loopback on Linux; 127.77.x.y is one address per user, apart from 127.0.0.1.
function loopbackAddress(index: number): string {
  return `127.77.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

async function registerUser(base: URL, name: string, localAddress: string): Promise<BenchUser> {
  const email = `${name}@bench.example`;
  const password = randomBytes(15).toString('base64url');
  const user = (await postJson(base, '/v1/users', { email, password }, 201, localAddress)) as { id: string };
  const token = (await postJson(base, '/v1/auth/token', { login: email, password }, 200, localAddress)) as {
    access_token: string;
  };
  return { id: user.id, accessToken: token.access_token };
}

/** A JSON POST from `localAddress`, or from the default address where the system has no such one. */
async function postJson(
  base: URL,
  path: string,
  body: unknown,
  status: number,
  localAddress: string,
): Promise<unknown> {
  let answer: { status: number; text: string };
  try {
    answer = await post(base, path, JSON.stringify(body), localAddress);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw error;
    answer = await post(base, path, JSON.stringify(body), undefined);
  }
  if (answer.status !== status)
    throw new Error(`POST ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
  return JSON.parse(answer.text);
}

function post(
  base: URL,
  path: string,
  body: string,
  localAddress: string | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...(localAddress ? { localAddress } : {}),
        signal: AbortSignal.timeout(setupRequestTimeoutMs),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Credits each user's ETB wallet with `amountMinor` from a suspense account, straight through the
 * ledger: the API has no deposits yet. Safe beside the running server: the ledger keeps no state
 * outside the database.
 */
export async function fundWallets(
  pool: Pool,
  userIds: readonly string[],
  amountMinor: bigint,
): Promise<void> {
  const ledger = benchLedger(pool);
  try {
    const [funding] = await ledger.createAccounts([
      { id: fundingAccountId, currency: 'ETB', kind: 'suspense' },
    ]);
    if (funding?.result !== 'ok') throw new Error(`funding account: ${funding?.result}`);
    const wallets = new Wallets(pool, ledger);
    const transfers: TransferInput[] = [];
    for (const userId of userIds) {
      transfers.push({
        id: `bench-fund-${userId}`,
        debitAccountId: fundingAccountId,
        creditAccountId: await wallets.ensure(userId, 'ETB'),
        amount: amountMinor,
        currency: 'ETB',
        code: 'deposit',
      });
    }
    for (let i = 0; i < transfers.length; i += transfersPerCallMax) {
      const results = await ledger.createTransfers(transfers.slice(i, i + transfersPerCallMax));
      const failed = results.find((r) => r.result !== 'ok');
      if (failed) throw new Error(`funding transfer failed: ${failed.result}`);
    }
  } finally {
    await ledger.close();
  }
}

/** Every ledger invariant, checked once the server has stopped; the violations, empty when money is intact. */
export async function ledgerViolations(pool: Pool): Promise<string[]> {
  const ledger = benchLedger(pool);
  try {
    return (await ledger.verify()).map((v) => `${v.check}: ${v.detail}`);
  } finally {
    await ledger.close();
  }
}

// The bench's own ledger, beside the server's: no expiry sweeper, which belongs to the server.
function benchLedger(pool: Pool): Ledger {
  return new Ledger({
    pool,
    logger: stderrLogger,
    batchTransfersMax: transfersPerCallMax,
    queueTransfersMax: 1_000_000,
    batchesInFlightMax: 2,
    expiryIntervalMs: 0,
  });
}
