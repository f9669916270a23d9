import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import { hashSecret, verifySecret } from './passwords.ts';

const pinPattern = /^[0-9]{4,6}$/;
export const pinAttemptsMax = 5;
export const pinLockMinutes = 15;

/** Sets or replaces the user's transaction PIN; changing an existing PIN needs the current one. */
export async function setPin(pool: Pool, userId: string, pin: string, currentPin?: string): Promise<void> {
  if (!pinPattern.test(pin)) throw new ChatPayError('pin_invalid_format', { param: 'pin' });
  const { rows } = await pool.query<{ pin_hash: string | null }>('SELECT pin_hash FROM users WHERE id = $1', [
    userId,
  ]);
  if (rows[0]?.pin_hash) {
    if (currentPin === undefined) throw new ChatPayError('pin_required', { param: 'current_pin' });
    await checkPin(pool, userId, currentPin);
  }
  await pool.query(
    'UPDATE users SET pin_hash = $2, pin_failed_attempts = 0, pin_locked_until = NULL WHERE id = $1',
    [userId, await hashSecret(pin)],
  );
}

/**
 * Checks a PIN. Five wrong tries in a row lock it for 15 minutes; while locked even the right PIN is
 * refused, so guessing gains nothing. The counter moves in one UPDATE, so parallel guesses can't race
 * past the limit.
 */
export async function checkPin(pool: Pool, userId: string, pin: string | undefined): Promise<void> {
  const { rows } = await pool.query<{ pin_hash: string | null; locked: boolean }>(
    'SELECT pin_hash, coalesce(pin_locked_until > now(), false) AS locked FROM users WHERE id = $1',
    [userId],
  );
  const row = rows[0];
  if (!row?.pin_hash) throw new ChatPayError('pin_not_set');
  if (row.locked) throw new ChatPayError('pin_locked');
  if (pin === undefined) throw new ChatPayError('pin_required', { param: 'pin' });
  if (pinPattern.test(pin) && (await verifySecret(row.pin_hash, pin))) {
    await pool.query('UPDATE users SET pin_failed_attempts = 0 WHERE id = $1 AND pin_failed_attempts <> 0', [
      userId,
    ]);
    return;
  }
  const { rows: after } = await pool.query<{ locked: boolean }>(
    `UPDATE users SET
       pin_failed_attempts = CASE WHEN pin_failed_attempts + 1 >= $2 THEN 0 ELSE pin_failed_attempts + 1 END,
       pin_locked_until = CASE WHEN pin_failed_attempts + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE pin_locked_until END
     WHERE id = $1
     RETURNING pin_locked_until > now() AS locked`,
    [userId, pinAttemptsMax, pinLockMinutes],
  );
  throw new ChatPayError(after[0]?.locked ? 'pin_locked' : 'pin_incorrect', { param: 'pin' });
}

/**
 * Replaces the PIN of a user whose current PIN the caller verified a moment ago with `checkPin`
 * (the chat PIN flow asks for the current PIN and the new one in two messages and never stores
 * either).
 */
export async function replaceVerifiedPin(pool: Pool, userId: string, pin: string): Promise<void> {
  if (!pinPattern.test(pin)) throw new ChatPayError('pin_invalid_format', { param: 'pin' });
  await pool.query(
    'UPDATE users SET pin_hash = $2, pin_failed_attempts = 0, pin_locked_until = NULL WHERE id = $1',
    [userId, await hashSecret(pin)],
  );
}
