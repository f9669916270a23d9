import { describe, expect, it } from 'vitest';
import { Pacer } from './notifier.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Pacer.turn', () => {
  it("sends a chat's messages one at a time, each a full second after the one before was answered", async () => {
    const pacer = new Pacer();
    const firstAnswered = await pacer.turn('chat');
    let secondStartedAt = 0;
    const second = pacer.turn('chat').then((answered) => {
      secondStartedAt = Date.now();
      return answered;
    });
    await sleep(1_200); // the first is still on its way (a slow request): the second waits for it
    expect(secondStartedAt).toBe(0);
    // Another chat is not held up.
    const otherStartedAt = Date.now();
    (await pacer.turn('other'))();
    expect(Date.now() - otherStartedAt).toBeLessThan(100);
    const answeredAt = Date.now();
    firstAnswered();
    (await second)();
    expect(secondStartedAt - answeredAt).toBeGreaterThanOrEqual(1_000);
  });
});
