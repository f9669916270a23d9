/**
 * `npm run bench:statements`: what the transfer path's write statements cost PostgreSQL itself, by
 * rows per statement. One connection sends each statement after the last, and the backend's CPU time
 * (user + system, from /proc, so the server must run on this machine: the embedded default does) is
 * read before and after. Statements:
 *
 * - `ledger+answers`: `ledger_write_batch` with `audit_write_rows_gated` in one statement, as a batch of
 *   `POST /v1/transfers` commits (transfers, both accounts' totals, audit entries and stored answers
 *   claiming their keys);
 * - `answers`: `audit_write_rows` alone, as the audit writer stores other POSTs' answers (here with
 *   request hashes, as the transfer path's).
 *
 * Prints one JSON line per statement and size. BENCH_STATEMENT_ROWS (default 3000) sets how many rows
 * each line sends.
 */
import { readFileSync } from 'node:fs';
import type { PoolClient } from '../src/db/pool.ts';
import { Ledger } from '../src/ledger/index.ts';
import { benchDatabase, benchLogger, round } from './lib/database.ts';

const rowsPerLine = Number(process.env.BENCH_STATEMENT_ROWS ?? 3000);
const sizes = [1, 6, 30];
const accountsCount = 200;
const warmupStatements = 20;

const db = await benchDatabase();
const pool = db.pool(2);
const ledger = new Ledger({
  pool,
  logger: benchLogger,
  batchTransfersMax: 100,
  queueTransfersMax: 1000,
  batchesInFlightMax: 1,
  expiryIntervalMs: 0,
});
const accounts = Array.from({ length: accountsCount }, (_, i) => `bench_stmt_${i}`);
await ledger.createAccounts(accounts.map((id) => ({ id, currency: 'ETB', kind: 'wallet' })));
await ledger.close();

const client = await pool.connect();
const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
const backendPid = rows[0]?.pid;

/** The backend's CPU time so far, in microseconds (clock ticks of 10 ms). */
function backendCpuUs(): number {
  const stat = readFileSync(`/proc/${backendPid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

// Each account's posted totals as the database has them (nothing pending): the write is compare-and-set.
interface Totals {
  debitsPosted: bigint;
  creditsPosted: bigint;
}
const totals = new Map(accounts.map((id) => [id, { debitsPosted: 0n, creditsPosted: 0n }]));
let sequence = 0;

function statement(kind: 'ledger+answers' | 'answers', size: number) {
  const transfers: unknown[][] = [];
  const answers: unknown[][] = [];
  const before = new Map<string, Totals>();
  for (let i = 0; i < size; i++) {
    const debit = accounts[Math.floor(Math.random() * accountsCount)] as string;
    let credit = debit;
    while (credit === debit) credit = accounts[Math.floor(Math.random() * accountsCount)] as string;
    for (const id of [debit, credit]) if (!before.has(id)) before.set(id, { ...(totals.get(id) as Totals) });
    (totals.get(debit) as Totals).debitsPosted += 100n;
    (totals.get(credit) as Totals).creditsPosted += 100n;
    const id = `txf_bench_${process.pid}_${sequence++}`;
    const createdAt = new Date().toISOString();
    const meta = { from: debit, to: credit };
    transfers.push([
      id,
      debit,
      credit,
      '100',
      'ETB',
      'p2p',
      'posted',
      false,
      null,
      null,
      null,
      null,
      meta,
      createdAt,
    ]);
    const answer = { id, object: 'transfer', amount: '1.00', currency: 'ETB', from: { user_id: debit } };
    const principal = `user:${debit}`;
    answers.push([
      principal,
      'POST /v1/transfers',
      id,
      null,
      null,
      201,
      '127.0.0.1',
      'bench',
      `req_${sequence}`,
    ]);
    (answers.at(-1) as unknown[]).push(
      principal,
      `key-${process.pid}-${sequence}`,
      JSON.stringify(answer),
      'h',
    );
  }
  if (kind === 'answers') {
    return {
      name: 'bench_answers',
      text: 'SELECT audit_write_rows($1::jsonb)',
      values: [JSON.stringify(answers)],
    };
  }
  // [id, new debits/credits posted and pending, old ones, frozen] (`ledger_write_batch`).
  const written = [...before].map(([id, old]) => {
    const now = totals.get(id) as Totals;
    return [
      id,
      `${now.debitsPosted}`,
      `${now.creditsPosted}`,
      '0',
      '0',
      `${old.debitsPosted}`,
      `${old.creditsPosted}`,
      '0',
      '0',
      false,
    ];
  });
  return {
    name: 'bench_ledger_answers',
    text: 'SELECT ledger_write_batch($1::jsonb, $2::jsonb), audit_write_rows_gated($3::jsonb)',
    values: [JSON.stringify(transfers), JSON.stringify(written), JSON.stringify(answers)],
  };
}

async function measure(c: PoolClient, kind: 'ledger+answers' | 'answers', size: number): Promise<void> {
  for (let i = 0; i < warmupStatements; i++) await c.query(statement(kind, size));
  const statements = Math.max(1, Math.ceil(rowsPerLine / size));
  const prepared = Array.from({ length: statements }, () => statement(kind, size));
  const cpuBefore = backendCpuUs();
  const startMs = performance.now();
  for (const s of prepared) await c.query(s);
  const wallMs = performance.now() - startMs;
  const cpuUs = backendCpuUs() - cpuBefore;
  process.stdout.write(
    `${JSON.stringify({
      statement: kind,
      rows_per_statement: size,
      statements,
      backend_cpu_us_per_statement: Math.round(cpuUs / statements),
      backend_cpu_us_per_row: Math.round(cpuUs / (statements * size)),
      wall_ms_per_statement: round(wallMs / statements, 3),
    })}\n`,
  );
}

try {
  for (const kind of ['ledger+answers', 'answers'] as const) {
    for (const size of sizes) await measure(client, kind, size);
  }
} finally {
  client.release();
  await db.close();
}
