/**
 * Merchant webhook endpoints may not reach into our own network (server-side request forgery): with
 * `MERCHANT_WEBHOOK_PRIVATE_URLS=refuse` (production's default) a private, loopback or link-local
 * address is refused when the endpoint is registered, and on every delivery by the address actually
 * connected to, so a name that resolves somewhere private later (DNS rebinding) is refused too.
 */
import { describe, expect, it } from 'vitest';
import { MerchantWebhooks } from '../../src/merchants/index.ts';
import { enqueueMerchantEvent } from '../../src/merchants/webhooks.ts';
import type { Resolve } from '../../src/shared/public-address.ts';
import { testApi, testSecrets } from '../helpers/api.ts';
import { createWebhookEndpoint, webhookReceiver } from '../helpers/webhook-receiver.ts';

// Our own DNS: `shop.example` is a public-looking name that answers with this machine's address, as a
// merchant's name could after it was registered.
const resolve: Resolve = (hostname, callback) => {
  if (hostname === 'shop.example') return callback(null, [{ address: '127.0.0.1', family: 4 }]);
  callback(Object.assign(new Error(`${hostname}: not found`), { code: 'ENOTFOUND' }), []);
};
const api = await testApi({ merchantWebhooks: { privateUrls: 'refuse', resolve } });
const { pool } = api.database;
const creator = await api.register(); // merchants record who created them

async function merchantKey() {
  const merchant = await api.services.merchants.create({ name: 'Shop', createdBy: creator.id });
  const key = await api.services.merchants.createKey(merchant.id, 'test');
  return { merchantId: merchant.id, headers: { authorization: `Bearer ${key.secret}` } };
}

async function endpointCount(merchantId: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM webhook_endpoints WHERE merchant_id = $1',
    [merchantId],
  );
  return Number(rows[0]?.n);
}

/** One payment.succeeded event for the merchant; returns its delivery ids. */
async function emit(merchantId: string): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await enqueueMerchantEvent(client, {
      merchantId,
      mode: 'test',
      type: 'payment.succeeded',
      data: { id: 'pay_1' },
    });
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const { rows } = await pool.query<{ id: string }>(
    `SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE e.merchant_id = $1 ORDER BY d.created_at`,
    [merchantId],
  );
  return rows.map((r) => r.id);
}

describe('merchant webhook targets', () => {
  it.each([
    'http://127.0.0.1:8080/hooks',
    'http://localhost/hooks',
    'http://LOCALHOST./hooks',
    'http://api.localhost/hooks',
    'http://10.1.2.3/hooks',
    'http://172.16.0.1/hooks',
    'http://192.168.1.1/hooks',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hooks',
    'http://0.0.0.0/hooks',
    'http://[::1]/hooks',
    'http://[fd00::1]/hooks',
    'http://[fe80::1]/hooks',
    'http://[::ffff:127.0.0.1]/hooks',
    'http://2130706433/hooks', // 127.0.0.1 as one number: URL parsing normalises it to the address
    'http://0x7f.1/hooks',
  ])('refuses %s at registration, and stores nothing', async (url) => {
    const { merchantId, headers } = await merchantKey();
    const response = await createWebhookEndpoint(api.app, headers, { url });
    expect([response.statusCode, response.json().error.code, response.json().error.param]).toEqual([
      422,
      'webhook_url_not_allowed',
      'url',
    ]);
    expect(await endpointCount(merchantId)).toBe(0);
  });

  it('accepts a public address or a name (names are checked when delivering)', async () => {
    const { merchantId, headers } = await merchantKey();
    for (const url of [
      'https://93.184.216.34/hooks',
      'https://shop.example/hooks',
      'https://[2606:4700::1]/',
    ]) {
      const response = await createWebhookEndpoint(api.app, headers, { url });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(201);
    }
    expect(await endpointCount(merchantId)).toBe(3);
  });

  it('refuses a delivery to a name that now resolves to a private address; allowed, the same name delivers', async () => {
    const target = await webhookReceiver();
    const { merchantId, headers } = await merchantKey();
    const created = await createWebhookEndpoint(api.app, headers, {
      url: `http://shop.example:${target.port}/hooks`,
    });
    expect(created.statusCode, created.body).toBe(201);
    const [deliveryId] = await emit(merchantId);
    if (!deliveryId) throw new Error('no delivery was made');

    await expect(api.services.merchantWebhooks.deliver(deliveryId)).rejects.toThrow(/webhook delivery/);
    const refused = await pool.query(
      'SELECT status, attempts, last_status, last_error FROM webhook_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(refused.rows[0]).toEqual({
      status: 'pending',
      attempts: 1,
      last_status: null,
      last_error: 'refused: shop.example resolves to 127.0.0.1, not public',
    });
    expect(target.received).toEqual([]);

    // The same resolver with private addresses allowed reaches the receiver: the refusal above came
    // from the check, not from a name that could not be reached.
    const allowing = new MerchantWebhooks(pool, { privateUrls: 'allow', resolve, secrets: testSecrets });
    await allowing.deliver(deliveryId);
    expect(target.received).toHaveLength(1);
    const delivered = await pool.query('SELECT status, last_status FROM webhook_deliveries WHERE id = $1', [
      deliveryId,
    ]);
    expect(delivered.rows[0]).toEqual({ status: 'delivered', last_status: 200 });
  });

  it('refuses a delivery to an endpoint stored with a private address (registered before the rule)', async () => {
    const target = await webhookReceiver();
    const { merchantId } = await merchantKey();
    await pool.query(
      `INSERT INTO webhook_endpoints (id, merchant_id, mode, url, secret, events)
       VALUES ('we_legacy_' || $1, $1, 'test', $2, 'whsec_x', ARRAY['payment.succeeded'])`,
      [merchantId, `http://127.0.0.1:${target.port}/hooks`],
    );
    const [deliveryId] = await emit(merchantId);
    if (!deliveryId) throw new Error('no delivery was made');
    await expect(api.services.merchantWebhooks.deliver(deliveryId)).rejects.toThrow();
    const { rows } = await pool.query('SELECT last_error FROM webhook_deliveries WHERE id = $1', [
      deliveryId,
    ]);
    expect(rows[0].last_error).toBe('refused: 127.0.0.1 is not a public address');
    expect(target.received).toEqual([]);
  });

  it('fails, as a delivery, one to an endpoint URL stored before URLs were parsed at registration', async () => {
    const { merchantId } = await merchantKey();
    await pool.query(
      `INSERT INTO webhook_endpoints (id, merchant_id, mode, url, secret, events)
       VALUES ('we_unparsable_' || $1, $1, 'test', 'http://', 'whsec_x', ARRAY['payment.succeeded'])`,
      [merchantId],
    );
    const [deliveryId] = await emit(merchantId);
    if (!deliveryId) throw new Error('no delivery was made');
    await expect(api.services.merchantWebhooks.deliver(deliveryId)).rejects.toThrow(/webhook delivery/);
    const { rows } = await pool.query(
      'SELECT status, attempts, last_error FROM webhook_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(rows[0]).toEqual({ status: 'pending', attempts: 1, last_error: 'not a URL' });
  });
});
