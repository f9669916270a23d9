import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { paymentStatuses } from '../../../payments/index.ts';
import {
  exportContentTypes,
  exportFilename,
  exportFormats,
  exportOperatorTransactions,
  exportRowsMax,
  exportStream,
  listOperatorTransactions,
  type TransactionFilter,
  transactionDetail,
  transactionTypes,
} from '../../../reports/index.ts';
import type { ApiServices } from '../../context.ts';
import { Amount, Currency, errors, list, Nullable, pageOf, Timestamp, UserId } from '../../schemas.ts';

const anyOperator = { access: 'operator' as const };
// Files leave the console with customers' data in them: not for read-only viewers.
// Exports hand out bulk personal and financial data: each one is audited, with its filters.
const exporters = {
  access: 'operator' as const,
  roles: ['admin', 'finance', 'support'] as const,
  auditReads: true,
};

const TransactionItemSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('transaction'),
  type: Type.Union(transactionTypes.map((t) => Type.Literal(t))),
  status: Type.Union(
    paymentStatuses.map((s) => Type.Literal(s)),
    {
      description: 'A payment status; transfers are pending, succeeded or canceled.',
    },
  ),
  provider: Nullable(Type.String()),
  amount: Amount,
  fee: Amount,
  currency: Type.String(),
  user_id: Nullable(Type.String()),
  counterparty_user_id: Nullable(Type.String()),
  merchant_id: Nullable(Type.String()),
  created_at: Timestamp,
});

const LedgerTransferSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('ledger_transfer'),
  kind: Type.Union([
    Type.Literal('posted'),
    Type.Literal('pending'),
    Type.Literal('post_pending'),
    Type.Literal('void_pending'),
  ]),
  code: Type.String(),
  debit_account_id: Type.String(),
  credit_account_id: Type.String(),
  amount: Amount,
  currency: Type.String(),
  pending_id: Nullable(Type.String()),
  reverses_id: Nullable(Type.String()),
  created_at: Timestamp,
});

const Instant = Type.String({
  maxLength: 40,
  description:
    'ISO 8601 date (`2026-11-23`, UTC) or date-time with a time zone. `created_from` is inclusive; `created_to` is exclusive, and a date includes that whole day.',
});

const AmountBound = Type.String({
  maxLength: 80,
  description: 'Decimal string in major units, inclusive; needs `currency`.',
  examples: ['12.50'],
});

const filterProperties = {
  currency: Type.Optional(Currency),
  type: Type.Optional(Type.Union(transactionTypes.map((t) => Type.Literal(t)))),
  status: Type.Optional(Type.Union(paymentStatuses.map((s) => Type.Literal(s)))),
  provider: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  user_id: Type.Optional(UserId),
  created_from: Type.Optional(Instant),
  created_to: Type.Optional(Instant),
  amount_min: Type.Optional(AmountBound),
  amount_max: Type.Optional(AmountBound),
};
const Filters = Type.Object(filterProperties);
type Filters = Static<typeof Filters>;

const ListQuery = Type.Object(
  {
    ...filterProperties,
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    starting_after: Type.Optional(
      Type.String({ maxLength: 100, description: 'The last id of the previous page.' }),
    ),
  },
  { additionalProperties: false },
);

const ExportQuery = Type.Object(
  {
    format: Type.Union(exportFormats.map((f) => Type.Literal(f))),
    ...filterProperties,
  },
  { additionalProperties: false },
);

// A file streamed as it is written: typed as the stream the handler sends.
const file = (format: 'binary' | undefined, description?: string) => ({
  schema: Type.Unsafe<Readable>({
    type: 'string',
    ...(format ? { format } : {}),
    ...(description ? { description } : {}),
  }),
});
const ExportResponse = {
  description: `The file, as an attachment (at most ${exportRowsMax.toLocaleString('en')} rows).`,
  // A plain schema: swagger copies header schemas by spread, which would keep TypeBox's symbol keys.
  headers: {
    'content-disposition': { type: 'string', description: 'attachment; filename="transactions-….csv"' },
  },
  content: {
    'text/csv': file(
      undefined,
      'RFC 4180 CSV with a header row; a cell that would start a formula begins with a single quote.',
    ),
    [exportContentTypes.xlsx]: file('binary', 'One sheet; amounts as decimal text, exact.'),
    [exportContentTypes.pdf]: file('binary', 'A4 landscape table with the filters and generation time.'),
  },
};

function filterOf(q: Filters): TransactionFilter {
  return {
    currency: q.currency,
    type: q.type,
    status: q.status,
    provider: q.provider,
    userId: q.user_id,
    createdFrom: q.created_from,
    createdTo: q.created_to,
    amountMin: q.amount_min,
    amountMax: q.amount_max,
  };
}

/** Every payment and transfer, filtered, paged, exported, and one item with its ledger transfers. */
export const consoleTransactionRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/transactions',
      {
        config: anyOperator,
        schema: {
          tags: ['console'],
          summary: 'Payments and transfers across all users, newest first, filtered',
          querystring: ListQuery,
          response: { 200: list(TransactionItemSchema), ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { limit, starting_after, ...filters } = request.query;
        const rows = await listOperatorTransactions(services.pool, filterOf(filters), {
          rows: limit + 1,
          startingAfter: starting_after,
        });
        return pageOf(rows, limit, (t) => t);
      },
    );

    app.get(
      '/v1/operator/transactions/export',
      {
        config: exporters,
        schema: {
          tags: ['console'],
          summary: 'The filtered transactions as a CSV, Excel or PDF file (admin, finance, support)',
          querystring: ExportQuery,
          response: { 200: ExportResponse, ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { format, ...filters } = request.query;
        const generatedAt = new Date();
        // Counts and checks first: bad filters or too many rows are an error, not a broken file.
        const found = await exportOperatorTransactions(services.pool, filterOf(filters), {
          rowsMax: exportRowsMax,
          now: generatedAt,
        });
        const stream = exportStream(format, found.rows, { filters, generatedAt, count: found.count });
        request.audit = { after: { format, filters, rows: found.count } };
        return reply
          .type(exportContentTypes[format])
          .header('content-disposition', `attachment; filename="${exportFilename(format, generatedAt)}"`)
          .header('cache-control', 'no-store')
          .send(stream);
      },
    );

    app.get(
      '/v1/operator/transactions/:id',
      {
        config: anyOperator,
        schema: {
          tags: ['console'],
          summary: 'One payment or transfer with the ledger transfers behind it',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }),
          response: {
            200: Type.Composite([
              TransactionItemSchema,
              Type.Object({ ledger_transfers: Type.Array(LedgerTransferSchema) }),
            ]),
            ...errors(400, 401, 403, 404, 429),
          },
        },
      },
      async (request) => transactionDetail(services.pool, request.params.id),
    );
  };
