/**
 * `npm run bench:statements`: what the transfer path's write statements cost PostgreSQL itself, by
 * rows per statement. One connection sends each statement after the last, and the backend's CPU time
 * (user + system, from /proc, so the server must run on this machine: the embedded default does) is
 * read before and after. Statements:
 *
 * - `ledger+answers`: `ledger_write_batch` with `audit_write_rows_gated` in one statement, sent by the
 *   engine's own `writeBatch` as a batch of `POST /v1/transfers` commits (transfers, both accounts'
 *   totals, audit entries and stored answers claiming their keys);
 * - `answers`: `audit_write_rows` alone, as the audit writer stores other POSTs' answers (here with
 *   request hashes, as the transfer path's).
 *
 * Prints one JSON line per statement and size. BENCH_STATEMENT_ROWS (default 3000) sets how many rows
 * each line sends.
 */
import { readFileSync } from 'node:fs';
import type { PoolClient } from '../src/db/pool.ts';
import type { AccountState } from '../src/ledger/apply.ts';
import { Ledger, type Transfer } from '../src/ledger/index.ts';
import { readTotals, writeBatch } from '../src/ledger/store.ts';
import { auditWriteRow } from '../test/helpers/audit-rows.ts';
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

// Each account as the database has it: the write is compare-and-set against these totals.
const states = new Map<string, AccountState>(
  accounts.map((id) => [
    id,
    {
      id,
      currency: 'ETB',
      debitsMustNotExceedCredits: false,
      creditsMustNotExceedDebits: false,
      debitsFrozen: false,
      debitsPosted: 0n,
      creditsPosted: 0n,
      debitsPending: 0n,
      creditsPending: 0n,
    },
  ]),
);
let sequence = 0;

type Kind = 'ledger+answers' | 'answers';

/**
 * One statement's work: for `ledger+answers`, `size` transfers with their answers, written as the
 * engine writes a batch (`writeBatch`, the same rows and statement); for `answers`, the answers alone,
 * as the audit writer sends them.
 */
function statement(kind: Kind, size: number): (c: PoolClient) => Promise<unknown> {
  const created: Transfer[] = [];
  const answers: unknown[][] = [];
  const touched = new Map<string, AccountState>();
  for (let i = 0; i < size; i++) {
    const debit = accounts[Math.floor(Math.random() * accountsCount)] as string;
    let credit = debit;
    while (credit === debit) credit = accounts[Math.floor(Math.random() * accountsCount)] as string;
    for (const id of [debit, credit]) touched.set(id, states.get(id) as AccountState);
    const id = `txf_bench_${process.pid}_${sequence++}`;
    created.push({
      id,
      debitAccountId: debit,
      creditAccountId: credit,
      amount: 100n,
      currency: 'ETB',
      code: 'p2p',
      kind: 'posted',
      linked: false,
      pendingId: null,
      reversesId: null,
      timeoutSeconds: null,
      expiresAt: null,
      metadata: { from: debit, to: credit },
      createdAt: new Date(),
    });
    const answer = { id, object: 'transfer', amount: '1.00', currency: 'ETB', from: { user_id: debit } };
    answers.push(
      auditWriteRow({
        request: `req_${sequence}`,
        principal: `user:${debit}`,
        object: id,
        userAgent: 'bench',
        key: `key-${process.pid}-${sequence}`,
        body: JSON.stringify(answer),
        hash: 'h',
      }),
    );
  }
  if (kind === 'answers') {
    const values = [JSON.stringify(answers)];
    return (c) => c.query({ name: 'bench_answers', text: 'SELECT audit_write_rows($1::jsonb)', values });
  }
  // The totals as read, then the batch applied to them, as the engine does.
  const before = readTotals(touched);
  for (const t of created) {
    (states.get(t.debitAccountId) as AccountState).debitsPosted += t.amount;
    (states.get(t.creditAccountId) as AccountState).creditsPosted += t.amount;
  }
  const written = [...touched.values()].map((a) => ({ ...a }));
  return (c) => writeBatch(c, created, written, before, [{ fn: 'audit_write_rows_gated', rows: answers }]);
}

async function measure(c: PoolClient, kind: Kind, size: number): Promise<void> {
  for (let i = 0; i < warmupStatements; i++) await statement(kind, size)(c);
  const statements = Math.max(1, Math.ceil(rowsPerLine / size));
  const prepared = Array.from({ length: statements }, () => statement(kind, size));
  const cpuBefore = backendCpuUs();
  const startMs = performance.now();
  for (const send of prepared) await send(c);
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
