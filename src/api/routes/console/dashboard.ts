import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { aggregateDailyStats, dashboard } from '../../../reports/index.ts';
import type { ApiServices } from '../../context.ts';
import { Amount, errors, Timestamp } from '../../schemas.ts';

const Kind = Type.Union([
  Type.Literal('deposit'),
  Type.Literal('collection'),
  Type.Literal('withdrawal'),
  Type.Literal('transfer'),
]);
const Count = Type.Integer({ minimum: 0 });

const Mode = (description: string) =>
  Type.Union([Type.Literal('test'), Type.Literal('live')], { description });
const modeQuery = Type.Object(
  { mode: Type.Optional(Mode('Live or test money. Default: the mode of people’s wallets (WALLETS_MODE).')) },
  { additionalProperties: false },
);

const DashboardSchema = Type.Object({
  mode: Mode(
    "Whose money the figures are: live or test. Transfers and active users are people's, in their wallets' mode (WALLETS_MODE); dead jobs, KYC and adjustments have no mode and are the same in both.",
  ),
  as_of: Type.Union([Timestamp, Type.Null()], {
    description: 'When the aggregates were computed (every minute by a job); null before the first run.',
  }),
  volume: Type.Array(
    Type.Object({
      period: Type.Union([Type.Literal('today'), Type.Literal('last_30_days')]),
      currency: Type.String(),
      kind: Kind,
      provider: Type.Union([Type.String(), Type.Null()], { description: 'Null for transfers.' }),
      count: Count,
      volume: Amount,
    }),
    { description: 'Succeeded money only, per currency, kind and provider; UTC days.' },
  ),
  daily: Type.Array(
    Type.Object({
      day: Type.String({ format: 'date' }),
      currency: Type.String(),
      kind: Kind,
      count: Count,
      volume: Amount,
    }),
    { description: 'The last 30 days, days without succeeded money left out.' },
  ),
  providers: Type.Array(
    Type.Object({
      provider: Type.String(),
      succeeded: Count,
      failed: Count,
      success_rate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
        description: 'succeeded / (succeeded + failed) over the last 30 days, 3 decimals.',
      }),
    }),
  ),
  counts: Type.Object({
    pending: Count,
    needs_review: Count,
    requires_approval: Count,
    dead_jobs: Count,
    kyc_pending: Count,
    adjustments_pending: Count,
  }),
  active_users: Type.Object(
    { today: Count, last_30_days: Count },
    { description: 'Users who started a deposit or withdrawal or sent money.' },
  ),
});

/** The console's dashboard: figures from the daily aggregates, and a way to refresh them now. */
export const dashboardRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    const walletsMode = () => services.payments.context.settings.walletsMode;
    app.get(
      '/v1/operator/dashboard',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'Volumes, provider success rates, queues and active users',
          querystring: modeQuery,
          response: { 200: DashboardSchema, ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => dashboard(services.pool, { walletsMode: walletsMode(), mode: request.query.mode }),
    );

    app.post(
      '/v1/operator/dashboard/refresh',
      {
        // Recomputing is idempotent by nature; a replayed answer would only be staler.
        config: { access: 'operator', idempotent: false },
        schema: {
          tags: ['console'],
          summary: 'Recompute today’s and yesterday’s aggregates now, then answer the dashboard',
          // Nothing to send: an empty object, or no body at all.
          querystring: modeQuery,
          body: Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]),
          response: { 200: DashboardSchema, ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const run = await aggregateDailyStats(services.pool, { walletsMode: walletsMode() });
        request.audit = { object: 'daily_stats', after: { from: run.from, to: run.to } };
        return dashboard(services.pool, { walletsMode: walletsMode(), mode: request.query.mode });
      },
    );
  };
