/**
 * Which adapters run, and against what. A provider with credentials talks to the real provider (or
 * `<ID>_API_BASE`). Without them, in development, `chatpay start` starts the provider's sandbox and
 * talks to it, so a newcomer can deposit and withdraw end to end with no account anywhere; in
 * production such a provider is disabled.
 */
import type { Logger } from '../../shared/logger.ts';
import type { GatewayEntry } from '../gateway.ts';
import type { ProviderDefinition, ProviderId, Sandbox } from './provider.ts';

export interface ProviderSetupOptions {
  readonly definitions: readonly ProviderDefinition[];
  readonly env: Readonly<Record<ProviderId, Readonly<Record<string, string>>>>;
  /** Start sandboxes for providers without credentials (development, all-in-one process). */
  readonly sandboxes: boolean;
  /** Our public base URL: sandboxes send dashboard-configured webhooks to `<url>/v1/webhooks/<id>`. */
  readonly publicUrl: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export interface ProviderSetup {
  readonly entries: GatewayEntry[];
  readonly sandboxes: Map<ProviderId, Sandbox>;
  close(): Promise<void>;
}

export async function setUpProviders(options: ProviderSetupOptions): Promise<ProviderSetup> {
  const entries: GatewayEntry[] = [];
  const sandboxes = new Map<ProviderId, Sandbox>();
  const close = async () => {
    await Promise.all([...sandboxes.values()].map((s) => s.close()));
  };
  try {
    for (const definition of options.definitions) {
      const env = options.env[definition.id] ?? {};
      const logger = options.logger.child({ provider: definition.id });
      if (definition.isConfigured(env)) {
        const mode = definition.modeOf(env);
        entries.push({
          provider: definition.create({ env, mode, timeoutMs: options.timeoutMs, logger }),
          sandbox: false,
        });
        logger.info({ mode }, 'provider enabled');
        continue;
      }
      if (!options.sandboxes) {
        logger.info('provider disabled: no credentials');
        continue;
      }
      const sandbox = await definition.startSandbox({
        webhookUrl: `${options.publicUrl}/v1/webhooks/${definition.id}`,
        logger,
      });
      sandboxes.set(definition.id, sandbox);
      entries.push({
        provider: definition.create({ env: sandbox.env, mode: 'test', timeoutMs: options.timeoutMs, logger }),
        sandbox: true,
      });
      logger.info({ sandbox: sandbox.url }, 'provider runs against its sandbox');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { entries, sandboxes, close };
}
