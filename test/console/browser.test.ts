import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAmount } from '../../src/shared/money.ts';
import type { TestUser } from '../helpers/api.ts';
import { builtConsole, launchChromium, screenshot, signInThroughPage } from '../helpers/browser.ts';
import { paymentsHarness } from '../helpers/payments.ts';

/**
 * The console in a real headless Chromium against the real server, worker, provider sandbox and
 * PostgreSQL: what an operator does, done through the page, checked against the database and API.
 */
const harness = await paymentsHarness({
  providers: ['mpesa'],
  approvalAbove: 'KES=1000',
  consoleDir: await builtConsole(),
});
const { api } = harness;
const baseUrl = harness.baseUrl;
const pool = api.database.pool;

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
});

let operators = 0;
async function operatorPage(role: 'admin' | 'finance' | 'support' | 'viewer', screenshots = false) {
  operators += 1;
  const login = { email: `browser-${role}-${operators}@console.test`, password: 'operator password 1' };
  const user = await api.services.users.register({ ...login, role });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await signInThroughPage(page, baseUrl, login, { screenshots });
  return { page, context, id: user.id, errors };
}

async function go(page: Page, path: string, heading: string) {
  await page.goto(`${baseUrl}/console${path}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

let keys = 0;
const post = (user: TestUser, url: string, payload: unknown) =>
  api.app.inject({
    method: 'POST',
    url,
    headers: { ...user.auth, 'idempotency-key': `browser-${keys++}` },
    payload: payload as Record<string, unknown>,
  });

async function insertPayment(userId: string, status: string, amountMinor: number, kind = 'deposit') {
  const id = `dep_browser${String(keys++).padStart(20, '0')}`;
  await pool.query(
    `INSERT INTO payments (id, kind, provider, mode, status, user_id, account_id, amount, fee, currency,
       requested_by, reconcile_at, completed_at)
     VALUES ($1, $2, 'mpesa', 'test', $3, $4, 'wal_x_KES', $5, 0, 'KES', $4, now() + interval '1 day',
       CASE WHEN $3 IN ('succeeded', 'failed') THEN now() END)`,
    [id, kind, status, userId, amountMinor],
  );
  return id;
}

describe('the operator console in a browser', () => {
  it('signs in with TOTP enrolment into an HttpOnly session, and shows every page', async () => {
    const { page, context, errors } = await operatorPage('admin', true);
    const cookie = (await context.cookies()).find((c) => c.name === 'chatpay_console');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate('document.cookie')).not.toContain('chatpay_console');
    await screenshot(page, '03-dashboard');
    const pages: [string, string][] = [
      ['/users', 'Users'],
      ['/transactions', 'Transactions'],
      ['/approvals', 'Approvals'],
      ['/kyc', 'KYC'],
      ['/providers', 'Providers'],
      ['/merchants', 'Merchants'],
      ['/audit', 'Audit log'],
      ['/operators', 'Operators'],
    ];
    for (const [path, heading] of pages) {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: heading, exact: true })
        .click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await screenshot(page, `page${path.replaceAll('/', '-')}`);
    }
    // Dark theme too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await go(page, '/', 'Dashboard');
    await screenshot(page, '04-dashboard-dark');
    expect(errors).toEqual([]);
  });

  it('shows dashboard figures that match the database', async () => {
    const payer = await api.register();
    for (const [status, amount] of [
      ['succeeded', 125_050],
      ['succeeded', 20_000],
      ['failed', 9_900],
      ['pending', 5_000],
      ['needs_review', 7_700],
    ] as const) {
      await insertPayment(payer.id, status, amount);
    }
    const bob = await api.register();
    await api.fund(payer.id, 'ETB', '100.00');
    expect(
      (await post(payer, '/v1/transfers', { to: bob.id, amount: '12.34', currency: 'ETB' })).statusCode,
    ).toBe(201);

    const { page } = await operatorPage('viewer');
    await page.getByRole('button', { name: 'Refresh' }).click();
    const cell = (id: string) => page.getByTestId(id);
    const db = (
      await pool.query(`SELECT
        (SELECT count(*) FROM payments WHERE status = 'pending')::int AS pending,
        (SELECT count(*) FROM payments WHERE status = 'needs_review')::int AS needs_review,
        (SELECT count(*) FROM payments WHERE status = 'requires_approval')::int AS requires_approval,
        (SELECT coalesce(sum(amount), 0)::text FROM payments WHERE status = 'succeeded' AND kind = 'deposit'
           AND provider = 'mpesa' AND currency = 'KES' AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS kes_deposits,
        (SELECT count(*) FROM payments WHERE status = 'succeeded' AND kind = 'deposit'
           AND provider = 'mpesa' AND currency = 'KES')::int AS kes_deposit_count,
        (SELECT coalesce(sum(amount), 0)::text FROM ledger_transfers WHERE code = 'p2p' AND currency = 'ETB') AS etb_transfers`)
    ).rows[0];
    await expect.poll(() => cell('count-pending').textContent()).toBe(String(db.pending));
    expect(await cell('count-needs_review').textContent()).toBe(String(db.needs_review));
    expect(await cell('count-requires_approval').textContent()).toBe(String(db.requires_approval));
    expect(await cell('volume-today-KES-deposit-mpesa').textContent()).toBe(
      formatAmount(BigInt(db.kes_deposits), 'KES'),
    );
    expect(db.kes_deposits).toBe('145050');
    expect(await cell('count-today-KES-deposit-mpesa').textContent()).toBe(String(db.kes_deposit_count));
    expect(await cell('volume-today-ETB-transfer-none').textContent()).toBe(
      formatAmount(BigInt(db.etb_transfers), 'ETB'),
    );
    await screenshot(page, 'dashboard-figures');

    // Live money apart: a live payment shows only once Live is chosen, and the test transfers don't.
    await pool.query(`UPDATE payments SET mode = 'live' WHERE id = $1`, [
      await insertPayment(payer.id, 'pending', 300),
    ]);
    expect(await cell('dashboard-mode').inputValue()).toBe('test');
    await cell('dashboard-mode').selectOption('live');
    // The live figures have arrived once the page says so (the test ones show a pending payment too).
    await expect.poll(() => page.getByText(/^Live money\./).count()).toBe(1);
    expect(await cell('count-pending').textContent()).toBe('1');
    expect(await cell('volume-today-ETB-transfer-none').count()).toBe(0);
    await cell('dashboard-mode').selectOption('test');
    await expect.poll(() => page.getByText(/^Test money/).count()).toBe(1);
    expect(await cell('count-pending').textContent()).toBe(String(db.pending));
  });

  it('approves a withdrawal, and refuses an operator approving their own adjustment', async () => {
    const user = await api.register();
    await api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: user.auth, payload: { pin: '4826' } });
    await api.fund(user.id, 'KES', '5000.00');
    const created = await post(user, '/v1/withdrawals', {
      provider: 'mpesa',
      amount: '2000.00',
      currency: 'KES',
      destination: { phone: '+254708374149' },
      pin: '4826',
    });
    expect(created.json().status).toBe('requires_approval');
    const withdrawal = created.json().id as string;

    const { page } = await operatorPage('finance');
    await go(page, '/approvals', 'Approvals');
    const row = page.getByRole('row').filter({ hasText: withdrawal });
    await row.getByLabel('Reason').fill('Known customer');
    await screenshot(page, 'approvals-withdrawal');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(`${withdrawal} approved.`).waitFor();
    const paid = await harness.eventually(async (): Promise<string | undefined> => {
      const w = await api.app.inject({
        method: 'GET',
        url: `/v1/withdrawals/${withdrawal}`,
        headers: user.auth,
      });
      const status = w.json().status as string;
      return status === 'pending' ? undefined : status;
    });
    expect(paid).toBe('succeeded');

    // Maker-checker: the finance operator requests an adjustment and can't approve it themselves.
    const form = page.getByRole('form', { name: 'Request an adjustment' });
    await form.getByLabel('User ID').fill(user.id);
    await form.getByLabel('Currency').fill('KES');
    await form.getByLabel('Amount').fill('10.00');
    await form.getByLabel('Reason').fill('Goodwill credit');
    await page.getByRole('button', { name: 'Request adjustment' }).click();
    const pending = await harness.eventually(async () => {
      const { rows } = await pool.query(
        "SELECT id FROM adjustments WHERE user_id = $1 AND status = 'pending_approval'",
        [user.id],
      );
      return rows[0]?.id as string | undefined;
    });
    const adjustmentRow = page.getByRole('row').filter({ hasText: pending });
    await adjustmentRow.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => adjustmentRow.getByRole('alert').textContent())
      .toMatch(/Another operator must approve/);
    await screenshot(page, 'approvals-maker-checker');
    const { rows } = await pool.query('SELECT status FROM adjustments WHERE id = $1', [pending]);
    expect(rows[0].status).toBe('pending_approval');
  });

  it('freezes a user, and the API then refuses their transfer', async () => {
    const user = await api.register();
    const friend = await api.register();
    await api.fund(user.id, 'ETB', '50.00');
    const { page } = await operatorPage('support');
    await go(page, '/users', 'Users');
    await page.getByLabel('Search').fill(user.email);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: user.id }).click();
    await page.getByRole('heading', { level: 1 }).filter({ hasText: /User/ }).waitFor();
    await page.getByLabel('Reason').fill('Suspected account takeover');
    await page.getByRole('button', { name: 'Freeze', exact: true }).click();
    await page.getByRole('button', { name: 'Unfreeze', exact: true }).waitFor();
    await screenshot(page, 'user-frozen');
    const refused = await post(user, '/v1/transfers', { to: friend.id, amount: '1.00', currency: 'ETB' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('user_frozen');
    const wallet = await api.app.inject({ method: 'GET', url: '/v1/wallets/ETB', headers: user.auth });
    expect(wallet.json().available).toBe('50.00');
  });

  it('exports a filtered list as CSV and Excel, and the files read back as the list', async () => {
    const payer = await api.register();
    const ids = [
      await insertPayment(payer.id, 'succeeded', 1_000),
      await insertPayment(payer.id, 'succeeded', 2_000),
      await insertPayment(payer.id, 'failed', 3_000),
    ];
    const { page } = await operatorPage('finance');
    await go(page, '/transactions', 'Transactions');
    await page.getByLabel('Currency').fill('KES');
    await page.getByLabel('Type').selectOption('deposit');
    await page.getByLabel('Status').selectOption('succeeded');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: ids[0] }).count()).toBe(1);
    expect(await page.getByRole('row').filter({ hasText: ids[2] }).count()).toBe(0);
    await screenshot(page, 'transactions-filtered');
    // What the list holds under the same filters, read from the API.
    const listed = await api.app.inject({
      method: 'GET',
      url: '/v1/operator/transactions?currency=KES&type=deposit&status=succeeded&limit=100',
      headers: (await harness.operator('viewer')).auth,
    });
    const expected = (listed.json().data as { id: string }[]).map((t) => t.id).sort();
    expect(expected).toEqual(expect.arrayContaining([ids[0], ids[1]]));
    expect(expected).not.toContain(ids[2]);

    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile((await csvDownload.path()) as string, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    const exported = lines.slice(1).map((l) => l.split(',')[0]?.replaceAll('"', ''));
    expect(exported.sort()).toEqual(expected);
    expect(csv).toContain('20.00');

    const [xlsxDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export Excel' }).click(),
    ]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile((await xlsxDownload.path()) as string);
    const sheet = workbook.worksheets[0];
    const column: string[] = [];
    sheet?.eachRow((row, n) => {
      if (n > 1) column.push(String(row.getCell(1).value));
    });
    expect(column.sort()).toEqual(expected);
  });

  it('approves a KYC document, raising the user’s level', async () => {
    const user = await api.register();
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    const form = new FormData();
    form.append('kind', 'passport');
    form.append('level', 'basic');
    form.append('file', new Blob([png], { type: 'image/png' }), 'passport.png');
    const uploaded = await fetch(`${baseUrl}/v1/me/kyc`, {
      method: 'POST',
      headers: { ...user.auth, 'idempotency-key': `kyc-${user.id}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const document = (await uploaded.json()) as { id: string };

    const { page } = await operatorPage('support');
    await go(page, '/kyc', 'KYC');
    const image = page.locator(`img[src*="${document.id}"]`);
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(1);
    await screenshot(page, 'kyc-review');
    const section = page.locator('section, article, li, tr').filter({ has: image }).last();
    await section.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(
        async () =>
          (await pool.query('SELECT kyc_level FROM users WHERE id = $1', [user.id])).rows[0].kyc_level,
      )
      .toBe('basic');
    const mine = await api.app.inject({ method: 'GET', url: '/v1/me/kyc', headers: user.auth });
    expect(mine.json().level).toBe('basic');
  });
});
