import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { newId } from '../../shared/ids.ts';
import type { ApiServices } from '../context.ts';
import { userIdOf } from '../plugins/auth.ts';
import { idempotentId } from '../plugins/idempotency.ts';
import { Amount, Currency, errors, Timestamp } from '../schemas.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const PaymentSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Union([
      Type.Literal('deposit'),
      Type.Literal('payment'),
      Type.Literal('withdrawal'),
      Type.Literal('payout'),
    ]),
    provider: Type.String(),
    mode: Type.Union([Type.Literal('test'), Type.Literal('live')]),
    status: Type.String({
      description:
        'requires_approval | pending | succeeded | failed | canceled | expired | rejected | needs_review | refunded',
    }),
    amount: Amount,
    fee: Amount,
    total: Type.String({
      description: 'Deposits and payments: charged to the payer. Withdrawals: taken from the wallet.',
    }),
    currency: Type.String(),
    next_action: Type.Union([
      Type.Object({ type: Type.Literal('stk_push_sent') }),
      Type.Object({ type: Type.Literal('redirect'), url: Type.String() }),
      Type.Null(),
    ]),
    destination: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    customer: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    metadata: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    refunded: Amount,
    receipt: Nullable(Type.String()),
    failure: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    review_reason: Nullable(Type.String()),
    decision: Type.Union([
      Type.Object({
        by: Type.Union([Type.String(), Type.Null()]),
        reason: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ]),
    user_id: Nullable(Type.String()),
    merchant_id: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'Payment' },
);

const QuoteSchema = Type.Object(
  {
    object: Type.Literal('quote'),
    provider: Type.String(),
    direction: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]),
    amount: Amount,
    fee: Amount,
    total: Amount,
    currency: Type.String(),
    requires_approval: Type.Boolean(),
  },
  { $id: 'Quote' },
);

export const paymentSchemas = [PaymentSchema, QuoteSchema];

const Provider = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: '^[a-z0-9_]+$',
  description: 'A provider id.',
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const IdempotencyHeader = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) });
const Phone = Type.String({ minLength: 3, maxLength: 32 });

export const depositWithdrawalRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/quotes',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'The fee and total of a deposit or withdrawal, before confirming it',
          body: Type.Object(
            {
              provider: Provider,
              direction: Type.Union([Type.Literal('deposit'), Type.Literal('withdrawal')]),
              amount: Amount,
              currency: Currency,
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('Quote'), ...errors(400, 401, 409, 422, 429) },
        },
      },
      async (request) => services.payments.quote(request.body),
    );

    app.post(
      '/v1/deposits',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'Deposit into your wallet through a provider',
          description:
            'Answers with the deposit `pending` and its `next_action`: `stk_push_sent` (approve on your phone) or `redirect` (open the URL). It succeeds when the provider confirms; watch `GET /v1/deposits/{id}` or the realtime channel.',
          headers: IdempotencyHeader,
          body: Type.Object(
            {
              provider: Provider,
              amount: Amount,
              currency: Currency,
              phone: Type.Optional(Phone),
              email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
              return_url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Payment'), ...errors(400, 401, 402, 409, 422, 429, 502, 503) },
        },
      },
      async (request, reply) => {
        const userId = userIdOf(request);
        const { return_url, ...body } = request.body;
        const deposit = await services.payments.createCollection({
          ...body,
          id: idempotentId('dep', request, () => newId('dep')),
          owner: { userId },
          returnUrl: return_url,
        });
        return reply.code(201).send(deposit);
      },
    );

    app.get(
      '/v1/deposits/:id',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'One of your deposits',
          params: IdParams,
          response: { 200: Type.Ref('Payment'), ...errors(401, 404, 429) },
        },
      },
      async (request) => services.payments.getForUser('deposit', userIdOf(request), request.params.id),
    );

    app.post(
      '/v1/withdrawals',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'Withdraw from your wallet to a phone or bank account',
          description:
            'Needs the transaction PIN. Holds amount + fee at once; the provider pays out in the background. Above the approval threshold the withdrawal waits in `requires_approval` for a finance operator.',
          headers: IdempotencyHeader,
          body: Type.Object(
            {
              provider: Provider,
              amount: Amount,
              currency: Currency,
              destination: Type.Union([
                Type.Object({ phone: Phone }, { additionalProperties: false }),
                Type.Object(
                  {
                    bank_code: Type.String({ minLength: 1, maxLength: 32 }),
                    account_number: Type.String({ minLength: 1, maxLength: 34, pattern: '^[0-9A-Za-z]+$' }),
                    account_name: Type.Optional(Type.String({ maxLength: 140 })),
                  },
                  { additionalProperties: false },
                ),
              ]),
              pin: Type.Optional(Type.String({ maxLength: 6 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Payment'), ...errors(400, 401, 402, 403, 409, 422, 423, 429, 503) },
        },
      },
      async (request, reply) => {
        const withdrawal = await services.payments.createWithdrawal({
          ...request.body,
          id: idempotentId('wd', request, () => newId('wd')),
          owner: { userId: userIdOf(request) },
        });
        return reply.code(201).send(withdrawal);
      },
    );

    app.get(
      '/v1/withdrawals/:id',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'One of your withdrawals',
          params: IdParams,
          response: { 200: Type.Ref('Payment'), ...errors(401, 404, 429) },
        },
      },
      async (request) => services.payments.getForUser('withdrawal', userIdOf(request), request.params.id),
    );

    for (const action of ['approve', 'reject'] as const) {
      app.post(
        `/v1/withdrawals/:id/${action}`,
        {
          config: { access: 'operator', roles: ['admin', 'finance'] },
          schema: {
            tags: ['operations'],
            summary: `${action === 'approve' ? 'Approve' : 'Reject'} a withdrawal waiting for approval (finance)`,
            description: 'Maker-checker: the user who asked for the money can’t decide on it.',
            params: IdParams,
            body: Type.Object(
              { reason: Type.Optional(Type.String({ maxLength: 500 })) },
              { additionalProperties: false },
            ),
            response: { 200: Type.Ref('Payment'), ...errors(400, 401, 403, 404, 409, 422, 429) },
          },
        },
        async (request) => {
          const decided = await services.payments.decideWithdrawal(request.params.id, userIdOf(request), {
            approve: action === 'approve',
            reason: request.body?.reason,
          });
          request.audit = {
            object: decided.id,
            before: { status: 'requires_approval' },
            after: { status: decided.status, reason: request.body?.reason ?? null },
          };
          return decided;
        },
      );
    }

    app.get(
      '/v1/providers',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'The payment providers enabled here and what each can do',
          response: {
            200: Type.Object({ object: Type.Literal('list'), data: Type.Array(Type.Any()) }),
            ...errors(401, 429),
          },
        },
      },
      async () => ({ object: 'list' as const, data: services.payments.providers() }),
    );

    app.get(
      '/v1/providers/:provider/banks',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'Banks (and mobile-money wallets) a provider pays out to',
          params: Type.Object({ provider: Provider }),
          querystring: Type.Object({ currency: Currency }),
          response: {
            200: Type.Object({
              object: Type.Literal('list'),
              data: Type.Array(
                Type.Object({
                  code: Type.String(),
                  name: Type.String(),
                  currency: Type.Optional(Type.String()),
                  mobile_money: Type.Optional(Type.Boolean()),
                }),
              ),
            }),
            ...errors(400, 401, 429, 502, 503),
          },
        },
      },
      async (request) => {
        const banks = await services.payments.banks(request.params.provider, request.query.currency);
        return {
          object: 'list' as const,
          data: banks.map((b) => ({
            code: b.code,
            name: b.name,
            ...(b.currency ? { currency: b.currency } : {}),
            ...(b.mobileMoney !== undefined ? { mobile_money: b.mobileMoney } : {}),
          })),
        };
      },
    );

    app.get(
      '/v1/providers/:provider/accounts/resolve',
      {
        config: { access: 'user' },
        schema: {
          tags: ['payments'],
          summary: 'The name on a bank account, before paying out to it (where the provider can tell)',
          params: Type.Object({ provider: Provider }),
          querystring: Type.Object({
            currency: Currency,
            bank_code: Type.String({ minLength: 1, maxLength: 32 }),
            account_number: Type.String({ minLength: 1, maxLength: 34, pattern: '^[0-9A-Za-z]+$' }),
          }),
          response: {
            200: Type.Object({
              object: Type.Literal('bank_account'),
              bank_code: Type.String(),
              account_number: Type.String(),
              account_name: Type.String(),
            }),
            ...errors(400, 401, 429, 502, 503),
          },
        },
      },
      async (request) => {
        const { currency, bank_code, account_number } = request.query;
        const name = await services.payments.resolveAccount(
          request.params.provider,
          currency,
          bank_code,
          account_number,
        );
        return { object: 'bank_account' as const, bank_code, account_number, account_name: name };
      },
    );
  };
