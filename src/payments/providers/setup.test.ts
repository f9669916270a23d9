import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';
import { providerDefinitions } from './registry.ts';
import { type ProviderSetup, setUpProviders } from './setup.ts';

const logger = createLogger('silent');
const setups: ProviderSetup[] = [];
afterAll(() => Promise.all(setups.map((s) => s.close())));

describe('which providers run', () => {
  it('runs every provider without credentials against its own sandbox when sandboxes are allowed', async () => {
    const setup = await setUpProviders({
      definitions: providerDefinitions,
      env: { mpesa: {}, chapa: {}, flutterwave: {}, stripe: {} },
      sandboxes: true,
      publicUrl: 'http://127.0.0.1:1',
      timeoutMs: 1000,
      logger,
    });
    setups.push(setup);
    expect(setup.entries.map((e) => [e.provider.id, e.provider.mode, e.sandbox])).toEqual([
      ['mpesa', 'test', true],
      ['chapa', 'test', true],
      ['flutterwave', 'test', true],
      ['stripe', 'test', true],
    ]);
    expect([...setup.sandboxes.keys()]).toEqual(['mpesa', 'chapa', 'flutterwave', 'stripe']);
  });

  it('disables providers without credentials when sandboxes are not allowed (production), and uses configured ones', async () => {
    const setup = await setUpProviders({
      definitions: providerDefinitions,
      env: {
        mpesa: {},
        chapa: { CHAPA_SECRET_KEY: 'CHASECK-live-key', CHAPA_WEBHOOK_SECRET: 'a-webhook-secret' },
        flutterwave: {},
        stripe: {},
      },
      sandboxes: false,
      publicUrl: 'https://pay.example.com',
      timeoutMs: 1000,
      logger,
    });
    setups.push(setup);
    expect(setup.entries.map((e) => [e.provider.id, e.provider.mode, e.sandbox])).toEqual([
      ['chapa', 'live', false],
    ]);
    expect(setup.sandboxes.size).toBe(0);
  });
});
