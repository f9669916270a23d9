/**
 * Chat notices: messages for people who did not just write to the bot (money received, deposit and
 * withdrawal outcomes, held money claimed or returned). Each is a `chat_notice` job in the PostgreSQL
 * queue, so a crash or a restart loses none: queued in the transaction that changes the state where
 * the code allows it (held transfers, flow steps), otherwise as soon as the realtime event arrives,
 * with a job key made from the notice's id. Each id is unique to what it tells, and every delivery to
 * a chat is recorded under it (`chat_notice_deliveries`), so a notice queued twice, or a job retried
 * after its message went out, reaches each chat once. A channel's notifier delivers them.
 */
import { Batcher, batcherFor } from '../../db/batcher.ts';
import { enqueue } from '../../db/jobs.ts';
import type { Pool, PoolClient } from '../../db/pool.ts';
import type { RealtimeEvent } from '../../realtime/index.ts';
import { type MessageKey, messages } from './i18n.ts';
import type { Channel } from './types.ts';

export interface ChatNotice {
  /** Unique to what it tells (`transfer.received:<transfer id>`): a chat gets each id once. */
  readonly id: string;
  /** Who is told (on each chat they have). */
  readonly userId: string;
  readonly key: MessageKey;
  readonly values: Readonly<Record<string, string>>;
  /** A user whose @username (or, without one, user id) fills `{from}` when it is delivered. */
  readonly fromUserId?: string | undefined;
}

/** Deliveries are remembered this long; a notice queued again later than that would be sent again. */
export const deliveriesRetentionHours = 7 * 24;
/** A delivery claimed this long ago and never finished was cut short by a crash: it is taken over. */
const claimStaleSeconds = 120;
const purgeBatchMax = 10_000;

export function enqueueNotice(db: Pool | PoolClient, notice: ChatNotice, runAt?: Date): Promise<void> {
  return enqueue(db, 'chat_notice', { ...notice }, { jobKey: noticeJobKey(notice.id), runAt });
}

/**
 * Queues `notice` when its person has a chat on `channel`. Every money event with news comes here,
 * mostly for people with no chat: a look-up first would be a second round trip on the payments' path
 * (and a cache of it, wrong for a minute when someone starts the bot). So the check and the queueing
 * are one statement, shared by all the notices waiting at that moment (db/batcher.ts). The same jobs
 * as `enqueue` adds, guarded.
 */
export function enqueueNoticeForChats(pool: Pool, channel: Channel, notice: ChatNotice): Promise<void> {
  return noticesForChats(pool).submit({ channel, notice });
}

function noticesForChats(pool: Pool): Batcher<{ channel: Channel; notice: ChatNotice }, void> {
  return batcherFor(
    pool,
    'chat_notices_for_chats',
    () =>
      new Batcher<{ channel: Channel; notice: ChatNotice }, void>({
        inFlightMax: 2,
        isolateFailures: true,
        run: async (items) => {
          // A job key twice in one add_jobs call is an error; the notice is the same, so once is enough.
          const unique = [...new Map(items.map((i) => [i.notice.id, i])).values()];
          await pool.query({
            name: 'chat_notices_for_chats',
            text: `SELECT graphile_worker.add_jobs(specs) FROM (
                SELECT ARRAY(
                  SELECT ROW('chat_notice', n.payload::json, NULL, NULL, NULL, n.job_key, NULL, NULL)
                           ::graphile_worker.job_spec
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS n(payload, job_key, user_id, provider)
                   WHERE EXISTS (SELECT 1 FROM user_identities i
                                  WHERE i.user_id = n.user_id AND i.provider = n.provider)) AS specs
              ) s WHERE cardinality(specs) > 0`,
            values: [
              unique.map((i) => JSON.stringify(i.notice)),
              unique.map((i) => noticeJobKey(i.notice.id)),
              unique.map((i) => i.notice.userId),
              unique.map((i) => i.channel),
            ],
          });
          return items.map(() => undefined);
        },
      }),
  );
}

const noticeJobKey = (noticeId: string) => `notice:${noticeId}`;

/** The notice in a job's payload; undefined for one that can never be delivered (unknown key). */
export function noticeOf(payload: Readonly<Record<string, unknown>>): ChatNotice | undefined {
  const { id, userId, key, values, fromUserId } = payload;
  if (typeof id !== 'string' || typeof userId !== 'string' || typeof key !== 'string') return undefined;
  if (!(key in messages.en) || typeof values !== 'object' || values === null) return undefined;
  const strings = Object.entries(values).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return {
    id,
    userId,
    key: key as MessageKey,
    values: Object.fromEntries(strings),
    fromUserId: typeof fromUserId === 'string' ? fromUserId : undefined,
  };
}

/**
 * The notice a realtime event calls for, if any. Held money that goes back is not here: the held
 * transfers queue that notice themselves, in the transaction that returns the money.
 */
export function noticeForEvent(userId: string, event: RealtimeEvent): ChatNotice | undefined {
  const data = event.data as Record<string, unknown>;
  const id = String(data.id ?? '');
  const money = { amount: String(data.amount ?? ''), currency: String(data.currency ?? '') };
  if (!id) return undefined;
  const notice = (key: MessageKey, values: Record<string, string>, suffix = '') => ({
    id: `${event.type}:${id}${suffix}`,
    userId,
    key,
    values: { ...money, ...values },
  });
  // The review of an identity document: the person hears the outcome in chat as well.
  if (event.type === 'kyc.approved') return notice('kyc.approved', { level: String(data.kyc_level ?? '') });
  if (event.type === 'kyc.rejected') return notice('kyc.rejected', { reason: String(data.reason ?? '') });
  if (event.type === 'transfer.received') {
    const from = (data.from as { user_id?: string } | undefined)?.user_id;
    return { ...notice('send.received', {}), fromUserId: from };
  }
  const status = String(data.status ?? '');
  const reason = String((data.failure as { message?: string } | null)?.message ?? status);
  if (event.type === 'deposit.updated') {
    if (status === 'succeeded') return notice('deposit.succeeded', {}, ':succeeded');
    if (['failed', 'canceled', 'expired'].includes(status))
      return notice('deposit.failed', { reason }, `:${status}`);
  }
  if (event.type === 'withdrawal.updated') {
    if (status === 'succeeded') return notice('withdraw.succeeded', {}, ':succeeded');
    if (['failed', 'rejected'].includes(status)) return notice('withdraw.failed', { reason }, `:${status}`);
  }
  return undefined;
}

/** Where one notice stands for one chat. */
export type DeliveryClaim = 'mine' | 'done' | 'in_progress';

/**
 * The record of notices delivered to chats. A worker claims a delivery before sending and finishes
 * it after: a notice whose delivery is finished is never sent again; one claimed by a worker that
 * died mid-send is taken over after `claimStaleSeconds` (so a crash between the send and the record
 * can repeat one message: exactly once as far as the database can tell, at least once for sure).
 */
export class NoticeDeliveries {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async claim(noticeId: string, channel: Channel, chatId: string): Promise<DeliveryClaim> {
    const { rows } = await this.#pool.query<{ mine: boolean; state: string }>(
      `WITH taken AS (
         INSERT INTO chat_notice_deliveries AS d (notice_id, channel, chat_id, state) VALUES ($1, $2, $3, 'sending')
         ON CONFLICT (notice_id, channel, chat_id) DO UPDATE SET claimed_at = now()
           WHERE d.state = 'sending' AND d.claimed_at < now() - make_interval(secs => $4)
         RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM taken) AS mine,
         (SELECT state FROM chat_notice_deliveries WHERE notice_id = $1 AND channel = $2 AND chat_id = $3) AS state`,
      [noticeId, channel, chatId, claimStaleSeconds],
    );
    const row = rows[0];
    if (row?.mine) return 'mine';
    // No state: another worker's claim committed while this statement ran (its snapshot predates it).
    return row?.state === 'sent' || row?.state === 'undeliverable' ? 'done' : 'in_progress';
  }

  /** The message went out (`sent`), or never can (`undeliverable`: the person blocked the bot). */
  async finish(noticeId: string, channel: Channel, chatId: string, state: 'sent' | 'undeliverable') {
    await this.#pool.query(
      `UPDATE chat_notice_deliveries SET state = $4, sent_at = now()
        WHERE notice_id = $1 AND channel = $2 AND chat_id = $3`,
      [noticeId, channel, chatId, state],
    );
  }

  /** Gives a claim back after a send that failed, so the job's retry sends it. */
  async release(noticeId: string, channel: Channel, chatId: string): Promise<void> {
    await this.#pool.query(
      `DELETE FROM chat_notice_deliveries WHERE notice_id = $1 AND channel = $2 AND chat_id = $3 AND state = 'sending'`,
      [noticeId, channel, chatId],
    );
  }
}

/** Deletes delivery records past `deliveriesRetentionHours`, in bounded batches (hourly housekeeping). */
export async function purgeNoticeDeliveries(pool: Pool): Promise<number> {
  let purged = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM chat_notice_deliveries WHERE ctid IN (
         SELECT ctid FROM chat_notice_deliveries WHERE claimed_at < now() - make_interval(hours => $1)
         ORDER BY claimed_at LIMIT $2)`,
      [deliveriesRetentionHours, purgeBatchMax],
    );
    purged += rowCount ?? 0;
    if ((rowCount ?? 0) < purgeBatchMax) return purged;
  }
}
