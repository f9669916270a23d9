import { describe, expect, it } from 'vitest';
import { t as translate } from './i18n.ts';
import { noticeForEvent } from './notices.ts';

describe('notices for realtime events', () => {
  const event = (type: string, data: Record<string, unknown>) =>
    ({ id: 'evt_1', type, created_at: '2026-11-23T00:00:00.000Z', data }) as never;

  it('tells a person the outcome of their KYC review, once per document and outcome', () => {
    const approved = noticeForEvent('usr_a', event('kyc.approved', { id: 'kyc_1', kyc_level: 'basic' }));
    expect(approved).toMatchObject({ id: 'kyc.approved:kyc_1', userId: 'usr_a', key: 'kyc.approved' });
    expect(translate('en', 'kyc.approved', approved?.values ?? {})).toContain('basic');
    const rejected = noticeForEvent('usr_a', event('kyc.rejected', { id: 'kyc_2', reason: 'Blurred photo' }));
    expect(rejected).toMatchObject({ id: 'kyc.rejected:kyc_2', key: 'kyc.rejected' });
    for (const language of ['en', 'am', 'sw'] as const) {
      expect(translate(language, 'kyc.rejected', rejected?.values ?? {})).toContain('Blurred photo');
    }
  });

  it('says nothing for an event without an id', () => {
    expect(noticeForEvent('usr_a', event('kyc.approved', { kyc_level: 'basic' }))).toBeUndefined();
  });
});
