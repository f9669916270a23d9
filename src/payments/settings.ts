/**
 * The fee schedule and limits as operators edit them in the console. `PAYMENT_FEES` and
 * `PAYMENT_LIMITS` are the defaults; an edit is stored in the `settings` table (keys `payment_fees`,
 * `payment_limits`), applies at once in the process that took it, and reaches every other process on
 * its next poll (`watch`), which reads two rows by primary key and re-parses only when a row's
 * `updated_at` changed. A stored set is loaded over the defaults at start, so edits survive restarts.
 */
import type { Pool } from '../db/pool.ts';
import { ChatPayError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type FeeSchedule, parseFeeSchedule } from './fees.ts';
import { type Limits, parseLimits } from './limits.ts';

export type RuleSetName = 'fees' | 'limits';

export const ruleSettingKeys: Readonly<Record<RuleSetName, string>> = {
  fees: 'payment_fees',
  limits: 'payment_limits',
};

/** One rule set as it applies now. */
export interface RuleSetView {
  /** The rules as JSON, exactly the shape of `PAYMENT_FEES` / `PAYMENT_LIMITS`. */
  readonly rules: readonly unknown[];
  /** `environment` until an operator edits the set, then `settings`. */
  readonly source: 'environment' | 'settings';
  readonly updatedAt: Date | null;
  readonly updatedBy: string | null;
}

export interface EditableRulesOptions {
  readonly pool: Pool;
  readonly logger: Logger;
  readonly fees: FeeSchedule;
  readonly limits: Limits;
  /** The configured defaults (JSON), already known to parse. */
  readonly feesJson: string;
  readonly limitsJson: string;
}

interface SettingRow {
  key: string;
  value: unknown;
  updated_at: Date;
  updated_by: string | null;
}

export class EditableRules {
  readonly #o: EditableRulesOptions;
  readonly #current: Record<RuleSetName, RuleSetView>;
  /** A stored version that did not parse (its `updated_at`): logged once, not on every poll. */
  readonly #ignored: Record<RuleSetName, number | undefined> = { fees: undefined, limits: undefined };
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(options: EditableRulesOptions) {
    this.#o = options;
    this.#current = { fees: this.#defaults('fees'), limits: this.#defaults('limits') };
  }

  view(name: RuleSetName): RuleSetView {
    return this.#current[name];
  }

  /** Applies what `settings` holds (or the defaults where it holds nothing) when it changed. */
  async load(): Promise<void> {
    const { rows } = await this.#o.pool.query<SettingRow>({
      name: 'settings_payment_rules',
      text: 'SELECT key, value, updated_at, updated_by FROM settings WHERE key = ANY($1)',
      values: [Object.values(ruleSettingKeys)],
    });
    for (const name of ['fees', 'limits'] as const) {
      const row = rows.find((r) => r.key === ruleSettingKeys[name]);
      const current = this.#current[name];
      if (!row) {
        if (current.source === 'settings') this.#apply(name, this.#defaults(name));
        continue;
      }
      const version = row.updated_at.getTime();
      if (current.updatedAt?.getTime() === version || this.#ignored[name] === version) continue;
      const stored = { rules: row.value as unknown[], updatedAt: row.updated_at, updatedBy: row.updated_by };
      try {
        this.#apply(name, { ...stored, source: 'settings' });
      } catch (error) {
        // Stored rules that no longer parse (a currency was removed): keep what applies now rather
        // than stop the process; the operator sees the error in the log and edits the set again.
        this.#ignored[name] = version;
        this.#o.logger.error({ err: error, setting: ruleSettingKeys[name] }, 'stored payment rules ignored');
      }
    }
  }

  /** Polls `settings` every `intervalMs`, so edits made by other processes apply here too. */
  watch(intervalMs: number): void {
    this.close();
    this.#timer = setInterval(() => {
      // A poll still waiting on a slow database is not joined by another one.
      if (this.#polling) return;
      this.#polling = true;
      this.load()
        .catch((error: unknown) =>
          this.#o.logger.warn({ err: error }, 'payment rules not refreshed; retrying'),
        )
        .finally(() => {
          this.#polling = false;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Validates `rules` exactly as the environment variable is validated (`validation_failed` naming
   * the bad rule), stores them, and applies them here at once.
   */
  async update(
    name: RuleSetName,
    rules: readonly unknown[],
    updatedBy: string,
  ): Promise<{ before: RuleSetView; after: RuleSetView }> {
    let install: () => void;
    try {
      install = this.#parse(name, rules);
    } catch (error) {
      throw new ChatPayError('validation_failed', {
        param: 'rules',
        message: `Invalid ${name === 'fees' ? 'fee' : 'limit'} rules: ${(error as Error).message}.`,
      });
    }
    // The set it replaces is read from the row it overwrites (this process's copy may be a poll behind).
    const { rows } = await this.#o.pool.query<SettingRow & { before: SettingRow | null }>(
      `WITH old AS (SELECT key, value, updated_at, updated_by FROM settings WHERE key = $1 FOR UPDATE)
       INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2::jsonb, $3, clock_timestamp())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by,
         updated_at = EXCLUDED.updated_at
       RETURNING key, value, updated_at, updated_by, (SELECT row_to_json(old) FROM old) AS before`,
      [ruleSettingKeys[name], JSON.stringify(rules), updatedBy],
    );
    const row = rows[0] as SettingRow & { before: SettingRow | null };
    const before: RuleSetView = row.before
      ? {
          rules: row.before.value as unknown[],
          source: 'settings',
          updatedAt: new Date(row.before.updated_at),
          updatedBy: row.before.updated_by,
        }
      : this.#defaults(name);
    const after: RuleSetView = {
      rules: row.value as unknown[],
      source: 'settings',
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
    install();
    this.#current[name] = after;
    return { before, after };
  }

  #apply(name: RuleSetName, view: RuleSetView): void {
    this.#parse(name, view.rules)();
    this.#current[name] = view;
  }

  /** Parses `rules` as the environment variable is parsed (throwing likewise); the result installs them. */
  #parse(name: RuleSetName, rules: readonly unknown[]): () => void {
    const text = JSON.stringify(rules);
    if (name === 'fees') {
      const fees = parseFeeSchedule(text);
      return () => this.#o.fees.replace(fees);
    }
    const limits = parseLimits(text);
    return () => this.#o.limits.replace(limits);
  }

  #defaults(name: RuleSetName): RuleSetView {
    const text = name === 'fees' ? this.#o.feesJson : this.#o.limitsJson;
    return { rules: JSON.parse(text) as unknown[], source: 'environment', updatedAt: null, updatedBy: null };
  }
}
