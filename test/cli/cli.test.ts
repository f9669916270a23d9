import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox, sealingContext } from '../../src/shared/sealed.ts';
import { Secret } from '../../src/shared/secret.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Only what the CLI is given: no inherited DATABASE_URL or PORT from the developer's shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...extra };
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env: cleanEnv(env), cwd: tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly line: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `chatpay start` and waits for the line with the URL it serves. */
function start(env: Record<string, string>): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'start'], {
      env: cleanEnv({ PORT: '0', ...env }),
      cwd: tmpdir(),
    });
    children.add(child);
    let all = '';
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const timer = setTimeout(() => reject(new Error(`no start line within 60 s:\n${all}`)), 60_000);
    child.stderr.on('data', (d) => (all += d));
    child.stdout.on('data', (d) => {
      all += d;
      const match = /ChatPay is running at (http:\/\/\S+) \(([^)]*)\)/.exec(all);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] as string, line: match[0], output: () => all, exited });
      }
    });
    exited.then((code) => reject(new Error(`exited ${code} before starting:\n${all}`)));
  });
}

let db: TestDatabase;
let dataDir: string;
// Servers a failed assertion left running are stopped when the file ends.
const children = new Set<ChildProcess>();

beforeAll(async () => {
  db = await freshDatabase(2);
  dataDir = await mkdtemp(join(tmpdir(), 'chatpay-cli-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('chatpay CLI', () => {
  it('prints usage and per-command help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['start', 'migrate', 'ledger verify']) expect(help.stdout).toContain(command);
    for (const command of [['start'], ['migrate'], ['ledger', 'verify']]) {
      const r = await run([...command, '--help']);
      expect([command.join(' '), r.code, r.stdout]).toEqual([
        command.join(' '),
        0,
        expect.stringContaining(`Usage: chatpay ${command.join(' ')}`),
      ]);
    }
  });

  it('rejects unknown commands and arguments with exit 2', async () => {
    expect((await run(['launch'])).code).toBe(2);
    expect((await run(['migrate', '--force'])).code).toBe(2);
  });

  it('stops on invalid configuration listing every problem', async () => {
    const r = await run(['migrate'], {
      PORT: 'abc',
      LEDGER_BATCH_TRANSFERS_MAX: '0',
      NODE_ENV: 'production',
    });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('LEDGER_BATCH_TRANSFERS_MAX');
    expect(r.stderr).toContain('DATABASE_URL: required in production');
  });

  it('seals, when migrating, a TOTP seed an older version stored in the clear', async () => {
    expect((await run(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
    await db.pool.query(
      `INSERT INTO users (id, email, password_hash, role, totp_secret)
       VALUES ('usr_cli_legacy', 'legacy@example.com', 'x', 'admin', 'JBSWY3DPEHPK3PXP')`,
    );
    try {
      const key = 'a-secrets-key-for-the-cli-test-0123456789';
      expect((await run(['migrate'], { DATABASE_URL: db.url, SECRETS_KEY: key })).code).toBe(0);
      const { rows } = await db.pool.query(`SELECT totp_secret FROM users WHERE id = 'usr_cli_legacy'`);
      expect(rows[0].totp_secret).toMatch(/^sealed:v1:/);
      const box = new SecretBox(new Secret(key));
      expect(box.open(rows[0].totp_secret, sealingContext.totp('usr_cli_legacy'))).toBe('JBSWY3DPEHPK3PXP');
    } finally {
      // Sealed under this test's key: the other tests migrate with theirs, which can't open it.
      await db.pool.query(`DELETE FROM users WHERE id = 'usr_cli_legacy'`);
    }
  });

  it('rotates SECRETS_KEY: migrate re-seals under the new key what the previous one sealed', async () => {
    const oldKey = 'the-old-secrets-key-for-the-cli-test-0123';
    const newKey = 'the-new-secrets-key-for-the-cli-test-4567';
    const oldBox = new SecretBox(new Secret(oldKey));
    const newBox = new SecretBox(new Secret(newKey));
    expect((await run(['migrate'], { DATABASE_URL: db.url, SECRETS_KEY: oldKey })).code).toBe(0);
    const context = sealingContext.totp('usr_cli_rotate');
    await db.pool.query(
      `INSERT INTO users (id, email, password_hash, role, totp_secret)
       VALUES ('usr_cli_rotate', 'rotate@example.com', 'x', 'admin', $1)`,
      [oldBox.seal('KRSXG5CTMVRXEZLU', context)],
    );
    try {
      const stored = async () =>
        (await db.pool.query(`SELECT totp_secret FROM users WHERE id = 'usr_cli_rotate'`)).rows[0]
          .totp_secret;
      // The new key alone can't open it: the migration stops, naming the key, and changes nothing.
      const before = await stored();
      const refused = await run(['migrate'], { DATABASE_URL: db.url, SECRETS_KEY: newKey });
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toContain('SECRETS_KEY_PREVIOUS');
      expect(refused.stdout + refused.stderr).not.toContain(oldKey);
      expect(await stored()).toBe(before);
      // With the old key as the previous one, it is re-sealed under the new key, same plain value.
      const rotate = { DATABASE_URL: db.url, SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: oldKey };
      expect((await run(['migrate'], rotate)).code).toBe(0);
      const after = await stored();
      expect(after.startsWith(`sealed:v1:${newBox.keyId}:`)).toBe(true);
      expect(newBox.open(after, context)).toBe('KRSXG5CTMVRXEZLU');
      expect(() => oldBox.open(after, context)).toThrow(/another SECRETS_KEY/);
      // Done once: a second run (or the previous key gone) leaves it alone.
      expect((await run(['migrate'], rotate)).code).toBe(0);
      expect((await run(['migrate'], { DATABASE_URL: db.url, SECRETS_KEY: newKey })).code).toBe(0);
      expect(await stored()).toBe(after);
    } finally {
      await db.pool.query(`DELETE FROM users WHERE id = 'usr_cli_rotate'`);
    }
  });

  it('migrates, verifies a sound ledger, and names the account of a broken one', async () => {
    expect((await run(['migrate'], { DATABASE_URL: db.url })).code).toBe(0);
    await db.pool.query(
      `INSERT INTO ledger_accounts (id, currency, kind) VALUES ('cli-a', 'ETB', 'wallet'), ('cli-b', 'ETB', 'wallet')`,
    );
    const sound = await run(['ledger', 'verify'], { DATABASE_URL: db.url });
    expect([sound.code, sound.stdout]).toEqual([0, 'ledger verified: all invariants hold\n']);
    // Money from nowhere: a balance no transfer explains.
    await db.pool.query(`UPDATE ledger_accounts SET credits_posted = 500 WHERE id = 'cli-a'`);
    const broken = await run(['ledger', 'verify'], { DATABASE_URL: db.url });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('FAIL currency_totals_balance: ETB');
    expect(broken.stdout).toContain('FAIL account_totals_match_transfers: account cli-a');
  });

  it('creates an operator with a one-time password, stored only as a hash', async () => {
    const r = await run(['admin', 'create', '--email', 'ops@example.com', '--role', 'finance'], {
      DATABASE_URL: db.url,
    });
    expect(r.code).toBe(0);
    const password = /one-time password: (\S+)/.exec(r.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(20);
    const { rows } = await db.pool.query(
      "SELECT role, password_hash FROM users WHERE email = 'ops@example.com'",
    );
    expect(rows[0].role).toBe('finance');
    expect(rows[0].password_hash).not.toContain(password);
    expect(
      (await run(['admin', 'create', '--email', 'x@example.com', '--role', 'king'], { DATABASE_URL: db.url }))
        .code,
    ).toBe(2);
    expect(
      (await run(['admin', 'create', '--email', 'ops@example.com'], { DATABASE_URL: db.url })).code,
    ).toBe(1);
  });

  it('serve needs DATABASE_URL and serves the API without migrating', async () => {
    const refused = await run(['serve'], {});
    expect([refused.code, refused.stderr]).toEqual([78, expect.stringContaining('DATABASE_URL is required')]);
    const child = spawn(process.execPath, [main, 'serve'], {
      env: cleanEnv({ DATABASE_URL: db.url, PORT: '0', JWT_SECRET: 'x'.repeat(40) }),
      cwd: tmpdir(),
    });
    children.add(child);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /running at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const created = await fetch(`${url}/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'served@example.com', password: 'a long enough password' }),
    });
    expect(created.status).toBe(201);
    const exited = new Promise((r) => child.on('close', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('serves /health and /ready on DATABASE_URL and stops cleanly on SIGTERM', async () => {
    const s = await start({ DATABASE_URL: db.url });
    expect(s.line).toContain('database: DATABASE_URL');
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${s.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([
      200,
      { status: 'ready', checks: { database: 'ok', realtime: 'ok' } },
    ]);
    expect(s.output()).not.toContain('WALLETS_MODE');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it("warns at start when no provider runs in the wallets' mode", async () => {
    // Development's providers are sandboxes, in test mode: live wallets would have none.
    const s = await start({ DATABASE_URL: db.url, WALLETS_MODE: 'live' });
    expect(s.output()).toMatch(/no provider runs in the wallets' mode \(WALLETS_MODE\)/);
    expect(s.output()).toContain('mpesa:test');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('runs on an embedded PostgreSQL that keeps its data across restarts and stops with it on SIGINT', async () => {
    const env = { CHATPAY_DATA_DIR: dataDir };
    const first = await start(env);
    expect(first.line).toMatch(/embedded PostgreSQL on port \d+/);
    expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    const port = /port (\d+)/.exec(first.line)?.[1];
    const password = (await readFile(join(dataDir, 'postgres-password'), 'utf8')).trim();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/chatpay`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO ledger_accounts (id, currency, kind) VALUES ('kept', 'USD', 'wallet')`);
    await client.end();
    const pid = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow(); // the embedded PostgreSQL stopped too

    const second = await start(env);
    expect(second.output()).not.toContain('initialising');
    const port2 = /port (\d+)/.exec(second.line)?.[1];
    const again = new pg.Client({ connectionString: url.replace(`:${port}/`, `:${port2}/`) });
    await again.connect();
    expect((await again.query(`SELECT id FROM ledger_accounts WHERE id = 'kept'`)).rowCount).toBe(1);
    await again.end();
    // /ready reports a dead database; /health still answers.
    const pid2 = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid2, 'SIGINT');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await fetch(`${second.url}/ready`)).status).toBe(503);
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
