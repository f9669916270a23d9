import { type Kysely, sql } from 'kysely';

/** The audit log (append-only), merchants and their API keys (stored hashed). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      principal text NOT NULL,
      action text NOT NULL,
      object text,
      before jsonb,
      after jsonb,
      status integer NOT NULL,
      ip text,
      user_agent text,
      request_id text NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX audit_log_principal_idx ON audit_log (principal, at)`.execute(db);
  await sql`CREATE INDEX audit_log_object_idx ON audit_log (object, at) WHERE object IS NOT NULL`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION forbid_change('the audit log is append-only')`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION forbid_change('the audit log is append-only')`.execute(db);

  await sql`
    CREATE TABLE merchants (
      id text PRIMARY KEY,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      email text,
      created_by text NOT NULL REFERENCES users (id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // A key is shown once; only its SHA-256 is kept (keys are 256-bit random, so a fast hash is enough).
  await sql`
    CREATE TABLE api_keys (
      id text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants (id),
      mode text NOT NULL CHECK (mode IN ('test', 'live')),
      key_hash text NOT NULL UNIQUE,
      last4 text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX api_keys_merchant_idx ON api_keys (merchant_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE api_keys`.execute(db);
  await sql`DROP TABLE merchants`.execute(db);
  await sql`DROP TABLE audit_log`.execute(db);
}
