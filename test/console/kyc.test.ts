/**
 * KYC end to end: users upload documents (multipart, type by content, size cut off while streaming),
 * operators list, open, approve and reject them, the user hears of it, levels gate payment limits,
 * and documents can live in S3-compatible storage (a local sandbox checking every SigV4 signature).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { RealtimeEvent } from '../../src/realtime/index.ts';
import { Secret } from '../../src/shared/secret.ts';
import { FileKycStorage, S3KycStorage, signV4 } from '../../src/users/index.ts';
import { startS3Sandbox } from '../../src/users/kyc-s3-sandbox.ts';
import { type TestApi, type TestUser, testApi } from '../helpers/api.ts';
import { paymentsHarness } from '../helpers/payments.ts';

const harness = await paymentsHarness({
  providers: ['mpesa'],
  worker: false,
  kycLimitsJson: JSON.stringify([
    { level: 'none', currency: 'KES', per_transaction_max: '1000', per_day_max: '1500' },
    { level: 'basic', currency: 'KES', direction: 'deposit', per_transaction_max: '5000' },
  ]),
});
const { api } = harness;
const admin = await harness.operator('admin');
const support = await harness.operator('support');
const mpesaPhone = '+254708374149';

const jpeg = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF jpeg body'),
]);
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('IHDR png'),
]);
const pdf = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n');

interface FilePart {
  readonly bytes: Buffer;
  readonly filename?: string;
  readonly type?: string;
}

/** A multipart body as a browser would send it (FormData, serialised by fetch's own encoder). */
async function form(fields: Record<string, string | FilePart | FilePart[]>) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') data.append(name, item);
      else
        data.append(
          name,
          new Blob([new Uint8Array(item.bytes)], { type: item.type ?? 'image/jpeg' }),
          item.filename ?? 'id.jpg',
        );
    }
  }
  const encoded = new Response(data);
  return {
    payload: Buffer.from(await encoded.arrayBuffer()),
    headers: { 'content-type': encoded.headers.get('content-type') as string },
  };
}

let keys = 0;
async function upload(
  user: TestUser,
  fields: Record<string, string | FilePart | FilePart[]>,
  options: { target?: TestApi; key?: string } = {},
) {
  const body = await form(fields);
  return (options.target ?? api).app.inject({
    method: 'POST',
    url: '/v1/me/kyc',
    headers: { ...user.auth, ...body.headers, 'idempotency-key': options.key ?? `kyc-${keys++}` },
    payload: body.payload,
  });
}

function asOperator(operator: TestUser, method: 'GET' | 'POST', url: string, payload?: object) {
  return api.app.inject({
    method,
    url,
    headers: { ...operator.auth, ...(method === 'POST' ? { 'idempotency-key': `op-${keys++}` } : {}) },
    ...(payload ? { payload } : {}),
  });
}

async function pendingRows(userId: string): Promise<number> {
  const { rows } = await api.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM kyc_documents WHERE user_id = $1`,
    [userId],
  );
  return rows[0]?.n ?? 0;
}

describe('POST /v1/me/kyc', () => {
  it.each([
    ['JPEG', jpeg, 'image/jpeg'],
    ['PNG', png, 'image/png'],
    ['PDF', pdf, 'application/pdf'],
  ])('takes a %s, typed by its content whatever it claims', async (_, bytes, detected) => {
    const user = await api.register();
    const res = await upload(user, {
      kind: 'passport',
      level: 'basic',
      file: { bytes, filename: 'scan.bin', type: 'application/octet-stream' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      object: 'kyc_document',
      kind: 'passport',
      level: 'basic',
      status: 'pending',
      content_type: detected,
      size_bytes: bytes.length,
      reason: null,
    });
    expect(res.json().id).toMatch(/^kyc_[0-9a-z]{26}$/);
    const mine = await api.app.inject({ method: 'GET', url: '/v1/me/kyc', headers: user.auth });
    expect(mine.json()).toMatchObject({ level: 'none', documents: [{ id: res.json().id }] });
  });

  it('refuses a text file named .jpg and declared image/jpeg, storing nothing', async () => {
    const user = await api.register();
    const res = await upload(user, {
      kind: 'selfie',
      level: 'basic',
      file: { bytes: Buffer.from('just some text, not a picture'), filename: 'me.jpg', type: 'image/jpeg' },
    });
    expect([res.statusCode, res.json().error.code, res.json().error.param]).toEqual([
      415,
      'kyc_file_type_unsupported',
      'file',
    ]);
    expect(await pendingRows(user.id)).toBe(0);
  });

  it('cuts off a file over KYC_MAX_BYTES (5 MiB by default)', async () => {
    const user = await api.register();
    const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x41);
    jpeg.copy(big);
    const res = await upload(user, { kind: 'passport', level: 'basic', file: { bytes: big } });
    expect([res.statusCode, res.json().error.code]).toEqual([413, 'kyc_file_too_large']);
    expect(await pendingRows(user.id)).toBe(0);
    const exact = await upload(user, {
      kind: 'passport',
      level: 'basic',
      file: { bytes: big.subarray(0, 5 * 1024 * 1024) },
    });
    expect(exact.statusCode).toBe(201);
  });

  it.each([
    ['no file', { kind: 'passport', level: 'basic' }, 'validation_failed'],
    [
      'an empty file',
      { kind: 'passport', level: 'basic', file: { bytes: Buffer.alloc(0) } },
      'kyc_upload_invalid',
    ],
    [
      'two files',
      { kind: 'passport', level: 'basic', file: [{ bytes: jpeg }, { bytes: png }] },
      'kyc_upload_invalid',
    ],
    [
      'a file under another name',
      { kind: 'passport', level: 'basic', document: { bytes: jpeg } },
      'validation_failed',
    ],
    [
      'an extra field',
      { kind: 'passport', level: 'basic', user_id: 'usr_x', file: { bytes: jpeg } },
      'kyc_upload_invalid',
    ],
    ['an unknown kind', { kind: 'diploma', level: 'basic', file: { bytes: jpeg } }, 'validation_failed'],
    ['the file as text', { kind: 'passport', level: 'basic', file: 'sha256:abc' }, 'kyc_upload_invalid'],
  ])('refuses %s', async (_, fields, code) => {
    const user = await api.register();
    const res = await upload(user, fields as Record<string, string | FilePart>);
    expect([res.statusCode, res.json().error.code]).toEqual([400, code]);
    expect(await pendingRows(user.id)).toBe(0);
  });

  it('refuses JSON, and multipart bodies on other routes', async () => {
    const user = await api.register();
    const json = await api.app.inject({
      method: 'POST',
      url: '/v1/me/kyc',
      headers: user.auth,
      payload: { kind: 'passport', level: 'basic', file: 'sha256:abc' },
    });
    expect([json.statusCode, json.json().error.code]).toEqual([400, 'kyc_upload_invalid']);
    const body = await form({ email: 'x@example.com', password: 'long enough password' });
    const elsewhere = await api.app.inject({ method: 'POST', url: '/v1/users', ...body });
    expect([elsewhere.statusCode, elsewhere.json().error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('replays a retry with the same Idempotency-Key and file, and refuses the key with another file', async () => {
    const user = await api.register();
    const first = await upload(
      user,
      { kind: 'id_front', level: 'basic', file: { bytes: jpeg } },
      { key: 'same' },
    );
    const again = await upload(
      user,
      { kind: 'id_front', level: 'basic', file: { bytes: jpeg } },
      { key: 'same' },
    );
    expect([again.statusCode, again.json().id, again.headers['idempotent-replayed']]).toEqual([
      201,
      first.json().id,
      'true',
    ]);
    const other = await upload(
      user,
      { kind: 'id_front', level: 'basic', file: { bytes: png } },
      { key: 'same' },
    );
    expect([other.statusCode, other.json().error.code]).toEqual([422, 'idempotency_key_reused']);
    expect(await pendingRows(user.id)).toBe(1);
  });

  it('caps the documents waiting for review at 10 per user', async () => {
    const user = await api.register();
    for (let i = 0; i < 10; i++) {
      expect((await upload(user, { kind: 'selfie', level: 'basic', file: { bytes: jpeg } })).statusCode).toBe(
        201,
      );
    }
    const res = await upload(user, { kind: 'selfie', level: 'basic', file: { bytes: jpeg } });
    expect([res.statusCode, res.json().error.code]).toEqual([409, 'kyc_too_many_pending']);
  });

  it('needs a signed-in user', async () => {
    const body = await form({ kind: 'passport', level: 'basic', file: { bytes: jpeg } });
    const res = await api.app.inject({ method: 'POST', url: '/v1/me/kyc', ...body });
    expect([res.statusCode, res.json().error.code]).toEqual([401, 'unauthenticated']);
  });
});

describe('review by operators', () => {
  it('lists documents with whose they are, and serves the same bytes, inline and uncached', async () => {
    const user = await api.register();
    const sent = (await upload(user, { kind: 'passport', level: 'basic', file: { bytes: png } })).json();
    const listed = await asOperator(support, 'GET', `/v1/operator/kyc?status=pending&user_id=${user.id}`);
    expect(listed.json()).toMatchObject({
      object: 'list',
      has_more: false,
      data: [{ id: sent.id, status: 'pending', user: { id: user.id, email: user.email, kyc_level: 'none' } }],
    });
    const file = await asOperator(admin, 'GET', `/v1/operator/kyc/${sent.id}/file`);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(png)).toBe(true);
    expect(file.headers).toMatchObject({
      'content-type': 'image/png',
      'content-disposition': `inline; filename="${sent.id}.png"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    // Who looked at whose identity document is on the record.
    const viewed = await api.database.pool.query(
      'SELECT principal, object FROM audit_log WHERE request_id = $1',
      [file.headers['request-id']],
    );
    expect(viewed.rows).toEqual([{ principal: `user:${admin.id}`, object: sent.id }]);
    const missing = await asOperator(admin, 'GET', '/v1/operator/kyc/kyc_nope/file');
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'kyc_document_not_found']);
  });

  it('pages with limit and starting_after', async () => {
    const user = await api.register();
    for (let i = 0; i < 3; i++) await upload(user, { kind: 'selfie', level: 'basic', file: { bytes: jpeg } });
    const first = (await asOperator(admin, 'GET', `/v1/operator/kyc?user_id=${user.id}&limit=2`)).json();
    expect([first.data.length, first.has_more]).toEqual([2, true]);
    const next = (
      await asOperator(
        admin,
        'GET',
        `/v1/operator/kyc?user_id=${user.id}&limit=2&starting_after=${first.data[1].id}`,
      )
    ).json();
    expect([next.data.length, next.has_more]).toEqual([1, false]);
  });

  it.each([
    ['statuz=pending', 'validation_failed'],
    ['status=waiting', 'validation_failed'],
    ['limit=0', 'validation_failed'],
    ['limit=101', 'validation_failed'],
  ])('refuses a queue filter it does not know: %s', async (query, code) => {
    const res = await asOperator(admin, 'GET', `/v1/operator/kyc?${query}`);
    expect([res.statusCode, res.json().error.code]).toEqual([400, code]);
  });

  it('keeps documents from other users and from non-reviewers', async () => {
    const alice = await api.register();
    const eve = await api.register();
    const doc = (await upload(alice, { kind: 'passport', level: 'full', file: { bytes: pdf } })).json();
    const eves = (await api.app.inject({ method: 'GET', url: '/v1/me/kyc', headers: eve.auth })).json();
    expect(eves.documents).toEqual([]);
    for (const url of [`/v1/operator/kyc/${doc.id}/file`, '/v1/operator/kyc']) {
      const res = await api.app.inject({ method: 'GET', url, headers: eve.auth });
      expect([res.statusCode, res.json().error.code]).toEqual([403, 'forbidden']);
    }
    for (const role of ['finance', 'viewer'] as const) {
      const operator = await harness.operator(role);
      for (const [method, url, payload] of [
        ['GET', '/v1/operator/kyc', undefined],
        ['GET', `/v1/operator/kyc/${doc.id}/file`, undefined],
        ['POST', `/v1/operator/kyc/${doc.id}/approve`, {}],
        ['POST', `/v1/operator/kyc/${doc.id}/reject`, { reason: 'blurry' }],
      ] as const) {
        const res = await asOperator(operator, method, url, payload);
        expect([role, url, res.statusCode]).toEqual([role, url, 403]);
      }
    }
    const still = (await asOperator(admin, 'GET', `/v1/operator/kyc?user_id=${alice.id}`)).json();
    expect(still.data[0].status).toBe('pending');
  });

  it('approves: raises the level in the same step, tells the user, audits it, and decides once', async () => {
    const user = await api.register();
    const heard: RealtimeEvent[] = [];
    const unsubscribe = api.services.events.subscribe(user.id, (event) => heard.push(event));
    afterAll(unsubscribe);
    const doc = (await upload(user, { kind: 'passport', level: 'basic', file: { bytes: jpeg } })).json();
    const approved = await asOperator(support, 'POST', `/v1/operator/kyc/${doc.id}/approve`, {});
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({
      id: doc.id,
      status: 'approved',
      user_id: user.id,
      kyc_level: 'basic',
    });
    const mine = (await api.app.inject({ method: 'GET', url: '/v1/me/kyc', headers: user.auth })).json();
    expect(mine).toMatchObject({ level: 'basic', documents: [{ id: doc.id, status: 'approved' }] });
    await harness.eventually(async () => (heard.length > 0 ? true : undefined));
    expect(heard[0]).toMatchObject({
      type: 'kyc.approved',
      data: { id: doc.id, status: 'approved', kyc_level: 'basic' },
    });

    const twice = await asOperator(admin, 'POST', `/v1/operator/kyc/${doc.id}/reject`, {
      reason: 'changed my mind',
    });
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, 'kyc_document_already_decided']);
    const again = await asOperator(admin, 'POST', `/v1/operator/kyc/${doc.id}/approve`, {});
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'kyc_document_already_decided']);

    const { rows } = await api.database.pool.query(
      `SELECT principal, before, after, status FROM audit_log WHERE object = $1 AND action LIKE '%/approve' ORDER BY id`,
      [doc.id],
    );
    expect(rows[0]).toMatchObject({
      principal: `user:${support.id}`,
      before: { status: 'pending', kyc_level: 'none' },
      after: { status: 'approved', kyc_level: 'basic' },
      status: 200,
    });
  });

  it('never lowers a level: a basic approval after a full one keeps full', async () => {
    const user = await api.register();
    const full = (await upload(user, { kind: 'passport', level: 'full', file: { bytes: jpeg } })).json();
    const basic = (await upload(user, { kind: 'id_front', level: 'basic', file: { bytes: jpeg } })).json();
    await asOperator(admin, 'POST', `/v1/operator/kyc/${full.id}/approve`, {});
    const res = await asOperator(admin, 'POST', `/v1/operator/kyc/${basic.id}/approve`, {});
    expect(res.json().kyc_level).toBe('full');
  });

  it('rejects only with a reason, which the user sees and hears', async () => {
    const user = await api.register();
    const heard: RealtimeEvent[] = [];
    afterAll(api.services.events.subscribe(user.id, (event) => heard.push(event)));
    const doc = (
      await upload(user, { kind: 'proof_of_address', level: 'full', file: { bytes: pdf } })
    ).json();
    for (const payload of [{}, { reason: '' }, { reason: '   ' }]) {
      const res = await asOperator(admin, 'POST', `/v1/operator/kyc/${doc.id}/reject`, payload);
      expect([res.statusCode, res.json().error.code, res.json().error.param]).toEqual([
        400,
        'validation_failed',
        'reason',
      ]);
    }
    const res = await asOperator(admin, 'POST', `/v1/operator/kyc/${doc.id}/reject`, {
      reason: 'The scan is blurry.',
    });
    expect(res.json()).toMatchObject({
      status: 'rejected',
      reason: 'The scan is blurry.',
      kyc_level: 'none',
    });
    const mine = (await api.app.inject({ method: 'GET', url: '/v1/me/kyc', headers: user.auth })).json();
    expect(mine).toMatchObject({
      level: 'none',
      documents: [{ status: 'rejected', reason: 'The scan is blurry.' }],
    });
    await harness.eventually(async () => (heard.length > 0 ? true : undefined));
    expect(heard[0]).toMatchObject({
      type: 'kyc.rejected',
      data: { id: doc.id, reason: 'The scan is blurry.' },
    });
  });

  it('lets no operator review their own documents', async () => {
    const operator = await harness.operator('support');
    const doc = (await upload(operator, { kind: 'selfie', level: 'full', file: { bytes: jpeg } })).json();
    const res = await asOperator(operator, 'POST', `/v1/operator/kyc/${doc.id}/approve`, {});
    expect([res.statusCode, res.json().error.code]).toEqual([403, 'approval_by_requester']);
  });
});

describe('limits by KYC level', () => {
  function deposit(user: TestUser, amount: string) {
    return api.app.inject({
      method: 'POST',
      url: '/v1/deposits',
      headers: { ...user.auth, 'idempotency-key': `dep-${keys++}` },
      payload: { provider: 'mpesa', amount, currency: 'KES', phone: mpesaPhone },
    });
  }

  it('holds a `none` user to its limits, naming KYC, per transaction and per day', async () => {
    const user = await api.register();
    const over = await deposit(user, '1001.00');
    expect([over.statusCode, over.json().error.code]).toEqual([400, 'limit_exceeded']);
    expect(over.json().error.message).toMatch(/KYC level none.*1000\.00 KES/);
    expect((await deposit(user, '1000.00')).statusCode).toBe(201);
    const daily = await deposit(user, '600.00');
    expect([daily.statusCode, daily.json().error.code]).toEqual([400, 'limit_exceeded']);
    expect(daily.json().error.message).toMatch(/KYC level none.*1500\.00 KES a day; 500\.00 KES is left/);
  });

  it('holds withdrawals too, releasing the hold', async () => {
    const user = await api.register();
    await api.app.inject({ method: 'PUT', url: '/v1/me/pin', headers: user.auth, payload: { pin: '4826' } });
    await api.fund(user.id, 'KES', '5000.00');
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/withdrawals',
      headers: { ...user.auth, 'idempotency-key': `wd-${keys++}` },
      payload: {
        provider: 'mpesa',
        amount: '2000.00',
        currency: 'KES',
        destination: { phone: mpesaPhone },
        pin: '4826',
      },
    });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'limit_exceeded']);
    expect(res.json().error.message).toMatch(/KYC level none/);
    const wallet = await api.app.inject({ method: 'GET', url: '/v1/wallets/KES', headers: user.auth });
    expect(wallet.json().available).toBe('5000.00');
  });

  it('lets the limits rise with the level: basic, then full without a KYC limit', async () => {
    const user = await api.register();
    const basic = (await upload(user, { kind: 'id_front', level: 'basic', file: { bytes: jpeg } })).json();
    await asOperator(admin, 'POST', `/v1/operator/kyc/${basic.id}/approve`, {});
    expect((await deposit(user, '4000.00')).statusCode).toBe(201);
    const over = await deposit(user, '6000.00');
    expect(over.json().error.message).toMatch(/KYC level basic.*5000\.00 KES/);
    const full = (await upload(user, { kind: 'passport', level: 'full', file: { bytes: jpeg } })).json();
    await asOperator(admin, 'POST', `/v1/operator/kyc/${full.id}/approve`, {});
    expect((await deposit(user, '6000.00')).statusCode).toBe(201);
  });
});

describe('document storage', () => {
  it('keeps files under <dir>/<user>/<document> and refuses any other key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-store-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const store = new FileKycStorage(dir);
    const key = 'usr_0000000000000000000000000a/kyc_0000000000000000000000000b';
    await store.put(key, pdf, 'application/pdf');
    expect(Buffer.concat(await (await store.get(key)).toArray()).equals(pdf)).toBe(true);
    await expect(store.put('../../etc/passwd', pdf, 'application/pdf')).rejects.toThrow(
      /not a KYC storage key/,
    );
    await store.delete(key);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'kyc_document_not_found' });
  });

  it('signs as AWS documents it (SigV4 GET Object example)', () => {
    const signed = signV4({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { range: 'bytes=0-9' },
      payloadSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      amzDate: '20130524T000000Z',
      region: 'us-east-1',
      service: 's3',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: new Secret('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'),
    });
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('round-trips through an S3-compatible store, which refuses a wrong secret', async () => {
    const sandbox = await startS3Sandbox();
    afterAll(() => sandbox.close());
    const options = {
      endpoint: sandbox.url,
      bucket: sandbox.bucket,
      region: sandbox.region,
      accessKeyId: sandbox.accessKeyId,
    };
    const store = new S3KycStorage({ ...options, secretAccessKey: new Secret(sandbox.secretAccessKey) });
    const key = 'usr_0000000000000000000000000a/kyc_0000000000000000000000000c';
    await store.put(key, png, 'image/png');
    expect(sandbox.objects.get(`kyc/${key}`)).toMatchObject({ contentType: 'image/png' });
    expect(Buffer.concat(await (await store.get(key)).toArray()).equals(png)).toBe(true);

    const forged = new S3KycStorage({ ...options, secretAccessKey: new Secret('not the secret') });
    await expect(forged.put(key, jpeg, 'image/jpeg')).rejects.toMatchObject({
      code: 'kyc_storage_unavailable',
    });
    await expect(forged.get(key)).rejects.toMatchObject({ code: 'kyc_storage_unavailable' });
    expect(sandbox.refusals).toEqual(['SignatureDoesNotMatch', 'SignatureDoesNotMatch']);
    expect(Buffer.concat(await (await store.get(key)).toArray()).equals(png)).toBe(true);

    await store.delete(key);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'kyc_document_not_found' });
  });

  it('serves uploads from S3 through the API, the same bytes back to the reviewer', async () => {
    const sandbox = await startS3Sandbox({ bucket: 'kyc-docs', region: 'eu-west-1' });
    afterAll(() => sandbox.close());
    const s3Api = await testApi({
      database: api.database,
      kyc: {
        storage: new S3KycStorage({
          endpoint: sandbox.url,
          bucket: sandbox.bucket,
          region: sandbox.region,
          accessKeyId: sandbox.accessKeyId,
          secretAccessKey: new Secret(sandbox.secretAccessKey),
        }),
      },
    });
    const user = await s3Api.register();
    const doc = (
      await upload(user, { kind: 'passport', level: 'basic', file: { bytes: pdf } }, { target: s3Api })
    ).json();
    expect(sandbox.objects.get(`kyc/${user.id}/${doc.id}`)?.bytes.equals(pdf)).toBe(true);
    const file = await s3Api.app.inject({
      method: 'GET',
      url: `/v1/operator/kyc/${doc.id}/file`,
      headers: admin.auth,
    });
    expect([file.statusCode, file.headers['content-type']]).toEqual([200, 'application/pdf']);
    expect(file.rawPayload.equals(pdf)).toBe(true);
  });
});

describe('configuration', () => {
  it('defaults to the data directory, 5 MiB and limits for none and basic only', () => {
    const config = loadConfig({});
    expect([config.kyc.s3, config.kyc.maxBytes]).toEqual([undefined, 5 * 1024 * 1024]);
    const levels = new Set((JSON.parse(config.kyc.limitsJson) as { level: string }[]).map((r) => r.level));
    expect([...levels]).toEqual(['none', 'basic']);
  });

  it('takes S3 only whole, and never echoes its keys', () => {
    const secret = 'super-secret-access-key-value';
    const s3 = {
      KYC_S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com/',
      KYC_S3_BUCKET: 'chatpay-kyc',
      KYC_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      KYC_S3_SECRET_ACCESS_KEY: secret,
    };
    const config = loadConfig(s3);
    expect(config.kyc.s3).toMatchObject({
      endpoint: 'https://s3.eu-west-1.amazonaws.com',
      region: 'us-east-1',
    });
    expect(config.kyc.s3?.secretAccessKey.reveal()).toBe(secret);
    expect(JSON.stringify(config)).not.toContain(secret);
    const { KYC_S3_BUCKET: _, ...half } = s3;
    expect(() => loadConfig(half)).toThrow(/KYC_S3_BUCKET: required/);
    let message = '';
    try {
      loadConfig({ ...s3, KYC_S3_SECRET_ACCESS_KEY: 'x'.repeat(300) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/KYC_S3_SECRET_ACCESS_KEY/);
    expect(message).not.toContain('xxxxxxxx');
  });

  it('refuses KYC_LIMITS that do not parse, naming the rule', () => {
    expect(() => loadConfig({ KYC_LIMITS: '[{"level":"gold","currency":"KES"}]' })).toThrow(
      /KYC_LIMITS: rule 0/,
    );
    expect(() =>
      loadConfig({ KYC_LIMITS: '[{"level":"none","currency":"KES","per_day_max":"1.234"}]' }),
    ).toThrow(/KYC_LIMITS: rule 0/);
    // `transfer` is a direction; a word that isn't one is refused, not ignored.
    expect(() =>
      loadConfig({ KYC_LIMITS: '[{"level":"none","currency":"KES","direction":"send","per_day_max":"1"}]' }),
    ).toThrow(/KYC_LIMITS: rule 0/);
    expect(
      loadConfig({
        KYC_LIMITS: '[{"level":"none","currency":"KES","direction":"transfer","per_day_max":"1"}]',
      }).kyc.limitsJson,
    ).toContain('transfer');
  });
});
