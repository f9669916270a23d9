import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Payments } from '../../../payments/index.ts';
import { providerRegistry } from '../../../payments/providers/registry.ts';
import { type RuleSetName, type RuleSetView, ruleSettingKeys } from '../../../payments/settings.ts';
import type { ApiServices } from '../../context.ts';
import { userIdOf } from '../../plugins/auth.ts';
import { errors, Nullable, Timestamp } from '../../schemas.ts';

const editors = { access: 'operator' as const, roles: ['admin', 'finance'] as const };

const ProviderStatusSchema = Type.Object({
  id: Type.String(),
  enabled: Type.Boolean({ description: 'False when the provider has no credentials here.' }),
  mode: Type.Union([Type.Literal('sandbox'), Type.Literal('live')], {
    description: 'A disabled provider shows `live`: it is enabled by configuring live credentials.',
  }),
  circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
  last_success_at: Nullable(Timestamp),
  last_failure_at: Nullable(Timestamp),
  currencies: Type.Array(Type.String()),
});

const RuleSetSchema = Type.Object({
  rules: Type.Array(Type.Unknown()),
  source: Type.Union([Type.Literal('environment'), Type.Literal('settings')], {
    description: '`environment` until an operator edits the rules in the console.',
  }),
  updated_at: Nullable(Timestamp),
  updated_by: Nullable(Type.String()),
});

const ProvidersSchema = Type.Object({
  object: Type.Literal('provider_status'),
  data: Type.Array(ProviderStatusSchema),
  fees: Type.Array(Type.Unknown(), { description: 'The fee rules in force, as `PAYMENT_FEES` JSON.' }),
  limits: Type.Array(Type.Unknown(), { description: 'The limits in force, as `PAYMENT_LIMITS` JSON.' }),
});

const ruleSetView = (view: RuleSetView) => ({
  rules: [...view.rules],
  source: view.source,
  updated_at: view.updatedAt?.toISOString() ?? null,
  updated_by: view.updatedBy,
});

/**
 * Every provider ChatPay knows. Circuit and last success/failure are this API process's own view
 * (each process keeps its own breaker): a process that made no call since it started shows nulls.
 */
function providerStatuses(payments: Payments) {
  const gateway = payments.context.gateway;
  const health = new Map(gateway.health().map((h) => [h.id as string, h]));
  return Object.keys(providerRegistry).map((id) => {
    const h = health.get(id);
    const provider = gateway.find(id);
    if (!h || !provider) {
      return {
        id,
        enabled: false,
        mode: 'live' as const,
        circuit: 'closed' as const,
        last_success_at: null,
        last_failure_at: null,
        currencies: [],
      };
    }
    return {
      id,
      enabled: true,
      mode: h.mode === 'live' && !h.sandbox ? ('live' as const) : ('sandbox' as const),
      // `isolated` is a circuit held open by hand: to a caller it is open.
      circuit: h.circuit === 'isolated' ? ('open' as const) : h.circuit,
      last_success_at: h.lastSuccessAt?.toISOString() ?? null,
      last_failure_at: h.lastFailureAt?.toISOString() ?? null,
      currencies: [...provider.capabilities.currencies],
    };
  });
}

function ruleRoute(name: RuleSetName) {
  const what = name === 'fees' ? 'fee schedule' : 'limits';
  const env = name === 'fees' ? 'PAYMENT_FEES' : 'PAYMENT_LIMITS';
  return {
    config: editors,
    schema: {
      tags: ['console'],
      summary: `Replace the ${what} (admin, finance)`,
      description: `\`rules\` is the same JSON as \`${env}\`, validated the same way (400 \`validation_failed\` names the bad rule). It applies at once here and within seconds in every other process, and survives restarts.`,
      body: Type.Object(
        { rules: Type.Array(Type.Unknown(), { maxItems: 1000 }) },
        { additionalProperties: false },
      ),
      response: { 200: RuleSetSchema, ...errors(400, 401, 403, 409, 422, 429) },
    },
  };
}

/** Providers' status, and the fee schedule and limits operators edit. */
export const consoleProviderRoutes = (services: ApiServices): FastifyPluginAsyncTypebox =>
  async function routes(app) {
    app.get(
      '/v1/operator/providers',
      {
        config: { access: 'operator' },
        schema: {
          tags: ['console'],
          summary: 'Every provider’s status (enabled, mode, circuit), with the fee rules and limits in force',
          response: { 200: ProvidersSchema, ...errors(401, 403, 429) },
        },
      },
      async () => ({
        object: 'provider_status' as const,
        data: providerStatuses(services.payments),
        fees: [...services.payments.rules.view('fees').rules],
        limits: [...services.payments.rules.view('limits').rules],
      }),
    );

    for (const name of ['fees', 'limits'] as const) {
      app.put(`/v1/operator/${name}`, ruleRoute(name), async (request) => {
        const body = request.body as { rules: unknown[] };
        const { before, after } = await services.payments.rules.update(name, body.rules, userIdOf(request));
        request.audit = {
          object: `setting_${ruleSettingKeys[name]}`,
          before: before.rules,
          after: after.rules,
        };
        return ruleSetView(after);
      });
    }
  };
