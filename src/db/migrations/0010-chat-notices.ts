import { type Kysely, sql } from 'kysely';

/**
 * Chat notices (money received, deposit and withdrawal outcomes, held money claimed or returned) go
 * through the job queue; this table records each one delivered to a chat, so a job retried after a
 * send that succeeded sends nothing twice. And money held for a phone number is claimed whenever a
 * user gets that number, however they get it (the API's registration, a contact shared in chat, an
 * operator's edit): a trigger queues the claim in the same transaction as the user's row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE chat_notice_deliveries (
      notice_id text NOT NULL,
      channel text NOT NULL CHECK (channel IN ('telegram', 'whatsapp')),
      chat_id text NOT NULL,
      -- 'sending' while a worker holds it (taken over when stale), then 'sent' or 'undeliverable'
      -- (the person blocked the bot or deleted the chat: retrying can't help).
      state text NOT NULL CHECK (state IN ('sending', 'sent', 'undeliverable')),
      claimed_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      PRIMARY KEY (notice_id, channel, chat_id)
    )`.execute(db);
  await sql`CREATE INDEX chat_notice_deliveries_claimed_idx ON chat_notice_deliveries (claimed_at)`.execute(
    db,
  );
  await createPhoneClaimTrigger(db);
}

/**
 * Queues a claim of the money held for a user's number when they get it. graphile_worker.add_job is
 * resolved when the trigger runs: the queue's schema is installed right after these migrations,
 * before any user can be written. Migration 0019 narrows it to verified numbers (its down() puts
 * this one back).
 */
export async function createPhoneClaimTrigger(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION held_transfers_claim_by_phone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (TG_OP = 'INSERT' OR OLD.phone IS DISTINCT FROM NEW.phone)
         AND EXISTS (SELECT 1 FROM held_transfers WHERE to_handle = NEW.phone AND status = 'held') THEN
        PERFORM graphile_worker.add_job('held_transfers_claim', json_build_object('user_id', NEW.id),
          job_key => 'held_claim:' || NEW.id, max_attempts => 25);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER users_held_transfers_claim AFTER INSERT OR UPDATE OF phone ON users
      FOR EACH ROW WHEN (NEW.phone IS NOT NULL) EXECUTE FUNCTION held_transfers_claim_by_phone()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER users_held_transfers_claim ON users`.execute(db);
  await sql`DROP FUNCTION held_transfers_claim_by_phone()`.execute(db);
  await sql`DROP TABLE chat_notice_deliveries`.execute(db);
}
