import { type Kysely, sql } from 'kysely';
import { createPhoneClaimTrigger } from './0010-chat-notices.ts';

/**
 * A phone number is a person's only when a chat channel vouches for it (a Telegram contact shared as
 * their own: src/channels/flows/flows/phone.ts), not when it is typed into a registration. Until now
 * registering through the API with a number claimed the money held for it and made the account the
 * recipient of sends to it: whoever registered a stranger's number first got the stranger's money.
 *
 * `phone_verified_at` says when a channel vouched. Only verified numbers claim held money (the
 * trigger below, and `HeldTransfers.claimByPhone`) and receive sends by number (`resolveRecipient`).
 * Existing numbers of chat-only people (no password) can only have come from a shared own contact, so
 * they count as verified; numbers given at an API registration don't, until shared in a chat.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN phone_verified_at timestamptz`.execute(db);
  await sql`UPDATE users SET phone_verified_at = created_at WHERE phone IS NOT NULL AND password_hash IS NULL`.execute(
    db,
  );
  await sql`DROP TRIGGER users_held_transfers_claim ON users`.execute(db);
  await sql`
    CREATE OR REPLACE FUNCTION held_transfers_claim_by_phone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (TG_OP = 'INSERT' OR OLD.phone IS DISTINCT FROM NEW.phone OR OLD.phone_verified_at IS NULL)
         AND EXISTS (SELECT 1 FROM held_transfers WHERE to_handle = NEW.phone AND status = 'held') THEN
        PERFORM graphile_worker.add_job('held_transfers_claim', json_build_object('user_id', NEW.id),
          job_key => 'held_claim:' || NEW.id, max_attempts => 25);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER users_held_transfers_claim AFTER INSERT OR UPDATE OF phone, phone_verified_at ON users
      FOR EACH ROW WHEN (NEW.phone IS NOT NULL AND NEW.phone_verified_at IS NOT NULL)
      EXECUTE FUNCTION held_transfers_claim_by_phone()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER users_held_transfers_claim ON users`.execute(db);
  await createPhoneClaimTrigger(db);
  await sql`ALTER TABLE users DROP COLUMN phone_verified_at`.execute(db);
}
