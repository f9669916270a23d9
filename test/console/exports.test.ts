/**
 * Exports of the operator's transactions: who may export, CSV / Excel / PDF read back and compared
 * with the list and with SQL (across several of the export's read batches), formula cells defused,
 * and bad input refused before a byte of file is sent.
 */
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOperatorTransactions, type TransactionItem } from '../../src/reports/index.ts';
import { newId } from '../../src/shared/ids.ts';
import type { TestUser } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({ providers: [], worker: false });
const { api } = harness;
const pool = api.database.pool;
// More than one export read batch (1,000 rows), with runs of rows at the very same instant.
const bulkRows = 2_300;

let admin: TestUser;
let viewer: TestUser;
let transferId: string;
let formulaId: string;

const columns = [
  'id',
  'created_at',
  'type',
  'status',
  'provider',
  'currency',
  'amount',
  'fee',
  'user_id',
  'counterparty_user_id',
  'merchant_id',
] as const;
const asRow = (t: TransactionItem) => columns.map((c) => t[c] ?? '');

const get = (user: TestUser, url: string) => api.app.inject({ method: 'GET', url, headers: user.auth });
const exportUrl = (format: string, filters = '') =>
  `/v1/operator/transactions/export?format=${format}${filters}`;

beforeAll(async () => {
  admin = await harness.operator('admin');
  viewer = await harness.operator('viewer');
  const alice = await api.register();
  const bob = await api.register();
  await api.fund(alice.id, 'KES', '100.00');
  const transfer = await api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...alice.auth, 'idempotency-key': 'export-transfer' },
    payload: { to: bob.id, amount: '12.34', currency: 'KES' },
  });
  expect(transfer.statusCode).toBe(201);
  transferId = transfer.json().id;
  // Deposits every ten minutes back in time, four at each instant; one in five in ETH with all 18
  // decimals used, to see amounts survive every format exactly.
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency,
       reconcile_at, created_at, updated_at)
     SELECT 'pay_bulk_' || lpad(i::text, 6, '0'), 'deposit', 'mpesa', 'test',
            (ARRAY['succeeded', 'failed', 'pending'])[1 + i % 3], $1, 'wal_x',
            CASE WHEN i % 5 = 0 THEN 1234567890123456789 ELSE 100 + i END, i % 7,
            CASE WHEN i % 5 = 0 THEN 'ETH' ELSE 'KES' END,
            now(), now() - make_interval(mins => 10 * (i / 4)), now()
       FROM generate_series(1, $2::int) i`,
    [bob.id, bulkRows],
  );
  formulaId = newId('pay');
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency,
       reconcile_at, created_at, updated_at)
     VALUES ($1, 'deposit', '=HYPERLINK("http://x")', 'test', 'failed', $2, 'wal_x', 100, 0, 'USD', now(), now(), now())`,
    [formulaId, bob.id],
  );
});

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect([field, record]).toEqual(['', []]);
  return records;
}

/** The list, every page, as the API shows it. */
async function listed(filters: string): Promise<TransactionItem[]> {
  const items: TransactionItem[] = [];
  let after = '';
  for (let pages = 0; pages < 100; pages++) {
    const body = (await get(admin, `/v1/operator/transactions?limit=100${filters}${after}`)).json();
    items.push(...body.data);
    if (!body.has_more) return items;
    after = `&starting_after=${body.data.at(-1).id}`;
  }
  throw new Error('more than 100 pages');
}

describe('GET /v1/operator/transactions/export', () => {
  it('audits every export with who asked, the filters and the row count', async () => {
    const res = await get(admin, exportUrl('csv', '&type=transfer'));
    expect(res.statusCode).toBe(200);
    const { rows } = await pool.query(
      `SELECT principal, after FROM audit_log WHERE action = 'GET /v1/operator/transactions/export'
        AND request_id = $1`,
      [res.headers['request-id']],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].principal).toBe(`user:${admin.id}`);
    expect(rows[0].after).toMatchObject({ format: 'csv', filters: { type: 'transfer' } });
    expect(rows[0].after.rows).toBe(res.payload.trim().split('\n').length - 1);
  });

  it('is for admin, finance and support, not viewers', async () => {
    for (const role of ['admin', 'finance', 'support'] as const) {
      const res = await get(await harness.operator(role), exportUrl('csv', '&type=transfer'));
      expect([role, res.statusCode]).toEqual([role, 200]);
    }
    const refused = await get(viewer, exportUrl('csv'));
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'forbidden']);
  });

  it('writes every row as CSV, in the list’s order, across read batches, formulas defused', async () => {
    const res = await get(admin, exportUrl('csv'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="transactions-\d{8}-\d{6}\.csv"$/,
    );
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([...columns]);
    const { rows: expected } = await pool.query<{ id: string }>(
      'SELECT id FROM operator_transactions ORDER BY created_at DESC, id COLLATE "C" DESC',
    );
    expect(rows.length).toBe(bulkRows + 2);
    expect(rows.map((r) => r[0])).toEqual(expected.map((r) => r.id));
    const formula = rows.find((r) => r[0] === formulaId);
    expect(formula?.[4]).toBe(`'=HYPERLINK("http://x")`);
    expect(res.body).toContain(`,"'=HYPERLINK(""http://x"")",`);
    const eth = rows.find((r) => r[5] === 'ETH');
    expect(eth?.[6]).toBe('1.234567890123456789');
  });

  it('writes the same cells as the list shows', async () => {
    const filters = '&currency=KES&status=succeeded&created_from=2000-01-01';
    const csv = parseCsv((await get(admin, exportUrl('csv', filters))).body);
    const expected = (await listed(filters)).map(asRow);
    expect(expected.length).toBeGreaterThan(100);
    expect(csv.slice(1)).toEqual(expected);
  });

  it('writes an Excel sheet with the same rows, amounts as exact text, formulas as plain text', async () => {
    const filters = '&type=deposit&status=failed';
    const res = await get(admin, exportUrl('xlsx', filters));
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers['content-disposition']).toMatch(/filename="transactions-.*\.xlsx"/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Transactions');
    const rows: string[][] = [];
    sheet?.eachRow((row) => {
      rows.push(columns.map((_, i) => String(row.getCell(i + 1).value ?? '')));
    });
    expect(rows[0]).toEqual([...columns]);
    const expected = (await listed(filters)).map(asRow);
    expect(rows.slice(1)).toEqual(expected);
    expect(rows.some((r) => r[6] === '1.234567890123456789')).toBe(true);
    const formulaRow = rows.findIndex((r) => r[0] === formulaId) + 1;
    expect(formulaRow).toBeGreaterThan(1);
    expect(sheet?.getRow(formulaRow).getCell(5).type).toBe(ExcelJS.ValueType.String);
  });

  it('writes a PDF with the row count, over as many pages as it takes', async () => {
    const res = await get(admin, exportUrl('pdf', '&currency=KES'));
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload.toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    const count = (await listed('&currency=KES')).length;
    expect(pdf).toContain(`(${count} transactions)`);
    // About 45 rows fit a landscape A4 page.
    const pages = pdf.match(/\/Type \/Page\b/g)?.length ?? 0;
    expect(pages).toBeGreaterThan(count / 50);
  });

  it.each([
    ['format=doc', 'validation_failed', 'format'],
    ['', 'validation_failed', 'format'],
    ['format=csv&amount_min=5', 'validation_failed', 'amount_min'],
    ['format=pdf&created_from=someday', 'validation_failed', 'created_from'],
  ])('refuses %s before writing a byte', async (query, code, param) => {
    const res = await get(admin, `/v1/operator/transactions/export?${query}`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect([res.statusCode, res.json().error.code, res.json().error.param]).toEqual([400, code, param]);
  });

  it('refuses more rows than a file may hold instead of cutting the file short', async () => {
    await expect(exportOperatorTransactions(pool, {}, { rowsMax: bulkRows })).rejects.toMatchObject({
      code: 'export_too_large',
    });
    const fits = await exportOperatorTransactions(pool, { type: 'transfer' }, { rowsMax: 1 });
    const rows: TransactionItem[] = [];
    for await (const row of fits.rows) rows.push(row);
    expect([fits.count, rows.map((r) => r.id)]).toEqual([1, [transferId]]);
    const res = await get(admin, exportUrl('csv', '&type=transfer'));
    expect(parseCsv(res.body).slice(1)).toEqual((await listed('&type=transfer')).map(asRow));
  });
});
