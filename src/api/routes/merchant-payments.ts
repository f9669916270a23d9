import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { merchantAccountId } from '../../merchants/index.ts';
import { newId } from '../../shared/ids.ts';
import type { ApiServices } from '../context.ts';
import { merchantOf } from '../plugins/auth.ts';
import { idempotentId } from '../plugins/idempotency.ts';
import { Amount, Currency, errors, list, pageOf } from '../schemas.ts';

/** Merchant collections: a merchant (API key) takes payments from its customers into its account. */
export const merchantPaymentRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.post(
      '/v1/payments',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payments'],
          summary: 'Collect a payment from a customer into your merchant account',
          description:
            'Test keys (`sk_test_`) use sandbox providers only, live keys live ones. The payment answers `pending` with its `next_action`; it succeeds when the provider confirms.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
          body: Type.Object(
            {
              provider: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9_]+$' }),
              amount: Amount,
              currency: Currency,
              customer: Type.Object(
                {
                  phone: Type.Optional(Type.String({ minLength: 3, maxLength: 32 })),
                  email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
                  name: Type.Optional(Type.String({ maxLength: 140 })),
                },
                { additionalProperties: false },
              ),
              metadata: Type.Optional(
                Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
                  maxProperties: 20,
                }),
              ),
              return_url: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Payment'), ...errors(400, 401, 402, 409, 422, 429, 502, 503) },
        },
      },
      async (request, reply) => {
        const merchant = merchantOf(request);
        const { customer, return_url, ...body } = request.body;
        const payment = await services.payments.createCollection({
          ...body,
          ...customer,
          id: idempotentId('pay', request, () => newId('pay')),
          owner: {
            merchantId: merchant.merchantId,
            mode: merchant.mode,
            accountId: merchantAccountId(merchant.merchantId, merchant.mode, body.currency),
          },
          returnUrl: return_url,
        });
        return reply.code(201).send(payment);
      },
    );

    app.get(
      '/v1/payments',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payments'],
          summary: 'Your payments in this key’s mode, newest first',
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            starting_after: Type.Optional(Type.String({ maxLength: 100 })),
            status: Type.Optional(Type.String({ maxLength: 32 })),
          }),
          response: { 200: list(Type.Ref('Payment')), ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const merchant = merchantOf(request);
        const page = await services.payments.list({
          kind: 'collection',
          merchantId: merchant.merchantId,
          mode: merchant.mode,
          status: request.query.status,
          limit: request.query.limit + 1,
          startingAfter: request.query.starting_after,
        });
        return pageOf(page, request.query.limit, (p) => p);
      },
    );

    app.get(
      '/v1/payments/:id',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payments'],
          summary: 'One of your payments',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: Type.Ref('Payment'), ...errors(401, 404, 429) },
        },
      },
      async (request) => {
        const merchant = merchantOf(request);
        return services.payments.getForMerchant(merchant.merchantId, merchant.mode, request.params.id);
      },
    );

    app.post(
      '/v1/payments/:id/refund',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payments'],
          summary: 'Refund a succeeded payment, in full or in part, through its provider',
          description:
            'The amount leaves your merchant balance. Send an Idempotency-Key: a retry returns the first refund and never refunds twice.',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
          body: Type.Object(
            { amount: Type.Optional(Amount) },
            { additionalProperties: false, description: 'Without `amount`: everything not yet refunded.' },
          ),
          response: {
            201: Type.Object({
              id: Type.String(),
              object: Type.Literal('refund'),
              payment_id: Type.String(),
              amount: Amount,
              currency: Type.String(),
              status: Type.Union([
                Type.Literal('pending'),
                Type.Literal('succeeded'),
                Type.Literal('failed'),
              ]),
              created_at: Type.String({ format: 'date-time' }),
            }),
            ...errors(400, 401, 402, 404, 409, 422, 429, 502, 503),
          },
        },
      },
      async (request, reply) => {
        const merchant = merchantOf(request);
        const refund = await services.payments.refund({
          merchantId: merchant.merchantId,
          mode: merchant.mode,
          paymentId: request.params.id,
          refundId: idempotentId('re', request, () => newId('re')),
          amount: request.body?.amount,
        });
        request.audit = { object: request.params.id, after: { refund: refund.id, amount: refund.amount } };
        return reply.code(201).send(refund);
      },
    );

    app.post(
      '/v1/payouts',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payouts'],
          summary: 'Pay out from your merchant balance to a phone or bank account',
          description:
            'Holds amount + fee in your balance at once; the provider pays in the background and you get `payout.succeeded` or `payout.failed`. Above the approval threshold a finance operator approves it first.',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
          body: Type.Object(
            {
              provider: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9_]+$' }),
              amount: Amount,
              currency: Currency,
              destination: Type.Union([
                Type.Object(
                  { phone: Type.String({ minLength: 3, maxLength: 32 }) },
                  { additionalProperties: false },
                ),
                Type.Object(
                  {
                    bank_code: Type.String({ minLength: 1, maxLength: 32 }),
                    account_number: Type.String({ minLength: 1, maxLength: 34, pattern: '^[0-9A-Za-z]+$' }),
                    account_name: Type.Optional(Type.String({ maxLength: 140 })),
                  },
                  { additionalProperties: false },
                ),
              ]),
              metadata: Type.Optional(
                Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
                  maxProperties: 20,
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Payment'), ...errors(400, 401, 402, 409, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const merchant = merchantOf(request);
        const payout = await services.payments.createWithdrawal({
          ...request.body,
          id: idempotentId('po', request, () => newId('po')),
          owner: {
            merchantId: merchant.merchantId,
            mode: merchant.mode,
            accountId: merchantAccountId(merchant.merchantId, merchant.mode, request.body.currency),
          },
        });
        return reply.code(201).send(payout);
      },
    );

    app.get(
      '/v1/payouts/:id',
      {
        config: { access: 'merchant' },
        schema: {
          tags: ['merchant payouts'],
          summary: 'One of your payouts',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: Type.Ref('Payment'), ...errors(401, 404, 429) },
        },
      },
      async (request) => {
        const merchant = merchantOf(request);
        return services.payments.getForMerchant(
          merchant.merchantId,
          merchant.mode,
          request.params.id,
          'withdrawal',
        );
      },
    );
  };
