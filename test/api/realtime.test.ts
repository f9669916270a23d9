import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '../../src/realtime/index.ts';
import { Secret } from '../../src/shared/secret.ts';
import { Tokens } from '../../src/users/index.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';
import { quietLogger } from '../helpers/database.ts';

/**
 * `GET /v1/realtime` over real sockets: the in-memory bus on one process, and Redis pub/sub between
 * two API processes on one database (an event published by one reaches a client of the other).
 */

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every wait is bounded: a broken delivery fails the test instead of hanging it. */
const waitMs = 5_000;
/** This run's channels only, so parallel runs on one Redis don't hear each other. */
const channelPrefix = `chatpay:test:${randomBytes(6).toString('hex')}:realtime:user:`;

interface RealtimeMessage {
  readonly id: string;
  readonly type: string;
  readonly created_at: string;
  readonly data: { readonly id: string; readonly amount: string };
}

interface Client {
  readonly socket: WebSocket;
  /** Every text frame received, in order (JSON events, or `pong`). */
  readonly received: string[];
  readonly closed: Promise<{ code: number; reason: string }>;
  events(): RealtimeMessage[];
}

const clients: Client[] = [];
const buses: RedisEventBus[] = [];
/** Our own look at Redis, to see which channels the buses subscribe. Connects on first use. */
const spy = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });

afterAll(async () => {
  for (const client of clients) client.socket.close();
  await Promise.all(clients.map((c) => within(c.closed, 'socket close').catch(() => undefined)));
  await Promise.all(buses.map((b) => b.close()));
  spy.disconnect();
});

async function within<T>(promise: Promise<T>, what: string, ms = waitMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${waitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function listen(api: TestApi): Promise<string> {
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  return `${address.replace(/^http/, 'ws')}/v1/realtime`;
}

/** A client as a browser or app would open it; resolves once the socket is open. */
async function connect(url: string, user?: TestUser): Promise<Client> {
  const socket = new WebSocket(url, user ? { headers: user.auth } : undefined);
  const received: string[] = [];
  socket.addEventListener('message', (message) => received.push(String(message.data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const client: Client = {
    socket,
    received,
    closed,
    events: () => received.filter((m) => m.startsWith('{')).map((m) => JSON.parse(m) as RealtimeMessage),
  };
  clients.push(client);
  await within(
    new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve());
      socket.addEventListener('error', () => reject(new Error('websocket failed to open')));
    }),
    'websocket open',
  );
  return client;
}

/**
 * The HTTP status the server answers an upgrade with: 101 when it switches to WebSocket; any other
 * answer only counts once the server has also closed the socket (a refused socket must not linger).
 */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port, pathname, search } = new URL(url);
  const lines = [
    `GET ${pathname}${search} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  const attempt = new Promise<number>((resolve, reject) => {
    let answer = '';
    const socket = netConnect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    const status = () => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
    socket.on('data', (chunk) => {
      answer += String(chunk);
      if (status() === 101) {
        socket.destroy();
        resolve(101);
      }
    });
    socket.on('close', () => resolve(status()));
    socket.on('error', reject);
  });
  return within(attempt, 'upgrade answer and socket close');
}

function transfer(api: TestApi, from: TestUser, to: TestUser, amount: string, key?: string) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/transfers',
    headers: { ...from.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: { to: to.id, amount, currency: 'ETB' },
  });
}

/** Connection names of this run's buses, so a test can find (and kill) exactly their connections. */
const connectionNamePrefix = `chatpay-test-${randomBytes(6).toString('hex')}`;

function redisBus(name: string): RedisEventBus {
  const bus = new RedisEventBus({
    url: new Secret(redisUrl),
    logger: quietLogger,
    channelPrefix,
    connectionName: `${connectionNamePrefix}-${name}`,
    reconnectDelayMaxMs: 100,
  });
  buses.push(bus);
  return bus;
}

describe('GET /v1/realtime on one process (in-memory bus)', () => {
  let api: TestApi;
  let url: string;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;

  beforeAll(async () => {
    api = await testApi();
    url = await listen(api);
    [alice, bob, eve] = [await api.register(), await api.register(), await api.register()];
    await api.fund(alice.id, 'ETB', '100.00');
  });

  it('tells the recipient and the sender about a transfer, and nobody else', async () => {
    const [bobSocket, aliceSocket, eveSocket] = [
      await connect(url, bob),
      await connect(url, alice),
      await connect(url, eve),
    ];
    const sent = await transfer(api, alice, bob, '5.00');
    expect(sent.statusCode).toBe(201);
    const id = sent.json().id;

    await until(() => bobSocket.events().length > 0, "Bob's event");
    expect(bobSocket.events()).toEqual([
      expect.objectContaining({
        type: 'transfer.received',
        data: expect.objectContaining({ id, amount: '5.00' }),
      }),
    ]);
    expect(bobSocket.events()[0]?.id).toMatch(/^evt_/);
    await until(() => aliceSocket.events().length > 0, "Alice's event");
    expect(aliceSocket.events()).toEqual([
      expect.objectContaining({ type: 'transfer.sent', data: expect.objectContaining({ id }) }),
    ]);

    // Delivery is ordered per user: if Eve had been told about Bob's transfer, it would come first.
    const toEve = (await transfer(api, alice, eve, '1.00')).json().id;
    await until(() => eveSocket.events().length > 0, "Eve's event");
    expect(eveSocket.events().map((e) => [e.type, e.data.id])).toEqual([['transfer.received', toEve]]);
  });

  it('refuses an upgrade without a valid token (401) and takes one from ?access_token=', async () => {
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url, { authorization: 'Bearer not-a-token' })).toBe(401);
    expect(await upgradeStatus(`${url}?access_token=not-a-token`)).toBe(401);
    expect(await upgradeStatus(url, bob.auth)).toBe(101);

    const viaQuery = await connect(`${url}?access_token=${encodeURIComponent(bob.token)}`);
    const id = (await transfer(api, alice, bob, '2.00')).json().id;
    await until(() => viaQuery.events().some((e) => e.data.id === id), 'event on the query-token socket');
    // The request log shows the path, never the token in the query string.
    expect(api.logs.join('')).not.toContain(bob.token.split('.')[2]);
  });

  it('answers a plain GET (no upgrade) with an error, not a hanging request', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/realtime', headers: bob.auth });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'validation_failed']);
  });

  it('does not notify twice for a replayed transfer (same Idempotency-Key)', async () => {
    const bobSocket = await connect(url, bob);
    const key = `replay-${randomBytes(6).toString('hex')}`;
    const first = await transfer(api, alice, bob, '3.00', key);
    const replay = await transfer(api, alice, bob, '3.00', key);
    expect([first.statusCode, replay.statusCode, replay.json().id]).toEqual([201, 201, first.json().id]);
    // A marker after the replay: once it arrives, any event the replay caused would have too.
    const marker = (await transfer(api, alice, bob, '0.01')).json().id;
    await until(() => bobSocket.events().some((e) => e.data.id === marker), 'the marker event');
    expect(bobSocket.events().map((e) => e.data.id)).toEqual([first.json().id, marker]);
  });

  it('closes a socket when the token that opened it expires (4001)', async () => {
    const shortLived = new Tokens(api.services.pool, {
      secret: new Secret('test-secret-that-is-long-enough-for-hs256-signing'),
      // Two seconds: JWT times are whole seconds, so a one-second token issued late in a second can
      // be expired before the socket opens.
      accessTokenTtlSeconds: 2,
      refreshTokenTtlSeconds: 60,
    });
    const user = await api.services.users.get(bob.id);
    if (!user) throw new Error('bob is missing');
    const { access_token } = await shortLived.issue(user);
    const client = await connect(url, { ...bob, auth: { authorization: `Bearer ${access_token}` } });
    const closed = await within(client.closed, 'close at token expiry', 4_000);
    expect(closed).toEqual({ code: 4001, reason: 'access token expired' });
  });

  it('answers ping with pong and closes the socket (1008) on any other message', async () => {
    const client = await connect(url, bob);
    client.socket.send('ping');
    await until(() => client.received.includes('pong'), 'pong');
    client.socket.send('{"subscribe":"usr_someone_else"}');
    expect((await within(client.closed, 'close after a bad message')).code).toBe(1008);
  });

  it('closes a socket that sends more than the frame limit', async () => {
    const client = await connect(url, bob);
    client.socket.send('x'.repeat(10_000));
    expect((await within(client.closed, 'close after an oversized frame')).code).toBe(1009);
  });

  it('limits the sockets one user may hold open (the sixth is closed with 1008)', async () => {
    const carol = await api.register();
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await connect(url, carol));
    const sixth = await connect(url, carol);
    expect((await within(sixth.closed, 'the sixth socket closing')).code).toBe(1008);
    // A slot frees up when a socket closes.
    const first = open[0]!;
    first.socket.close();
    await within(first.closed, 'first socket closing');
    await until(async () => {
      const next = await connect(url, carol);
      const early = await Promise.race([next.closed, new Promise((r) => setTimeout(() => r('open'), 100))]);
      return early === 'open';
    }, 'a freed slot');
  });
});

describe('GET /v1/realtime across two processes (Redis pub/sub)', () => {
  let a: TestApi;
  let b: TestApi;
  let urlB: string;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    a = await testApi({ events: redisBus('a') });
    b = await testApi({ database: a.database, events: redisBus('b') });
    urlB = await listen(b);
    [alice, bob] = [await a.register(), await a.register()];
    await a.fund(alice.id, 'ETB', '100.00');
  });

  const subscribers = async (userId: string) => {
    const [, count] = (await spy.pubsub('NUMSUB', `${channelPrefix}${userId}`)) as [string, number];
    return Number(count);
  };

  it('delivers a transfer made on instance A to Bob connected to instance B', async () => {
    expect(await b.services.events.isReady()).toBe(true);
    const bobSocket = await connect(urlB, bob);
    await until(async () => (await subscribers(bob.id)) === 1, 'B subscribing to Bob’s channel');
    const sent = await transfer(a, alice, bob, '5.00');
    expect(sent.statusCode).toBe(201);
    await until(() => bobSocket.events().length > 0, 'Bob’s event through Redis');
    expect(bobSocket.events()).toEqual([
      expect.objectContaining({
        type: 'transfer.received',
        data: expect.objectContaining({ id: sent.json().id, amount: '5.00' }),
      }),
    ]);
  });

  it('resubscribes after losing its Redis connection, and delivers again', async () => {
    const dave = await a.register();
    const socket = await connect(urlB, dave);
    await until(async () => (await subscribers(dave.id)) === 1, 'B subscribing to Dave’s channel');
    const subscriberLine = String(await spy.client('LIST'))
      .split('\n')
      .find((line) => line.includes(` name=${connectionNamePrefix}-b-subscriber `));
    const id = /^id=(\d+) /.exec(subscriberLine ?? '')?.[1];
    expect(id).toBeDefined();
    // As if Redis restarted or the network dropped, for B's subscriber connection only.
    await spy.client('KILL', 'ID', String(id));
    await until(
      async () => (await subscribers(dave.id)) === 1 && (await b.services.events.isReady()),
      'resubscribed',
    );
    const sent = await transfer(a, alice, dave, '1.00');
    await until(
      () => socket.events().some((e) => e.data.id === sent.json().id),
      'Dave’s event after reconnecting',
    );
  });

  it('subscribes a user’s channel once per process and unsubscribes when the last socket leaves', async () => {
    const carol = await a.register();
    const [first, second] = [await connect(urlB, carol), await connect(urlB, carol)];
    await until(async () => (await subscribers(carol.id)) === 1, 'one subscription for two sockets');
    first.socket.close();
    await within(first.closed, 'first socket closing');
    expect(await subscribers(carol.id)).toBe(1);
    second.socket.close();
    await within(second.closed, 'second socket closing');
    await until(async () => (await subscribers(carol.id)) === 0, 'the channel unsubscribed');
  });
});

describe('RedisEventBus without Redis', () => {
  it('fails fast, reports not ready, logs without the URL and never crashes the process', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const bus = new RedisEventBus({
      url: new Secret('redis://:hunter2-password@127.0.0.1:1'),
      logger,
      channelPrefix,
      reconnectDelayMaxMs: 50,
      connectTimeoutMs: 200,
    });
    buses.push(bus);
    const unsubscribe = bus.subscribe('usr_nobody', () => undefined);
    await until(() => lines.length > 0, 'a logged connection error');
    const published = await within(
      bus.publish('usr_nobody', { id: 'evt_x', type: 'transfer.sent', created_at: '', data: null }).then(
        () => 'resolved',
        () => 'rejected',
      ),
      'publish settling',
    );
    expect(['resolved', 'rejected']).toContain(published);
    expect(await within(bus.isReady(), 'isReady', 2_000)).toBe(false);
    unsubscribe();
    expect(lines.join('')).toContain('redis event bus: connection error');
    expect(lines.join('')).not.toContain('hunter2');
    // Retrying every 50 ms for a while still logs one warning per connection, not one per attempt.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.length).toBeLessThanOrEqual(2);
    await within(bus.close(), 'close');
  });
});
