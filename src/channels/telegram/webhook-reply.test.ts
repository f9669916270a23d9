import { describe, expect, it } from 'vitest';
import { WebhookReplySlot } from './webhook-reply.ts';

describe('WebhookReplySlot', () => {
  it('carries one call, the first offered', () => {
    const slot = new WebhookReplySlot();
    expect(slot.offer('answerCallbackQuery', { callback_query_id: '7' })).toBe(true);
    expect(slot.offer('sendMessage', { chat_id: 1, text: 'second' })).toBe(false);
    expect(slot.close()).toEqual({ method: 'answerCallbackQuery', callback_query_id: '7' });
  });

  it('takes nothing once closed', () => {
    const slot = new WebhookReplySlot();
    expect(slot.close()).toBeUndefined();
    expect(slot.offer('sendMessage', { chat_id: 1, text: 'late' })).toBe(false);
    expect(slot.close()).toBeUndefined();
  });

  it('cannot have its method overridden by a parameter named method', () => {
    const slot = new WebhookReplySlot();
    slot.offer('sendMessage', { chat_id: 1, text: 'hi', method: 'deleteMessage' });
    expect(slot.close()?.method).toBe('sendMessage');
  });
});
