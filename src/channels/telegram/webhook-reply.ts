/**
 * Telegram's "webhook reply": a bot may answer a webhook request with one Bot API call in the
 * response body (`{"method": "sendMessage", ...}`), and Telegram runs it as if it had been requested.
 * It saves a request per update, but Telegram reports nothing back: neither the result nor a failure
 * (https://core.telegram.org/bots/api#making-requests-when-getting-updates). So the bot offers it only
 * calls whose loss costs nothing but a repeat (a question, a balance, stopping a button's spinner) and
 * never a receipt, a notice or deleting a message that held a PIN (src/channels/telegram/bot.ts).
 *
 * One slot per webhook request. The webhook route closes it when it answers; a call offered after that
 * (the update outlived the route's deadline) is refused, and the bot makes it as a request instead.
 */
/** A Bot API call as a webhook's answer carries it: the method's parameters and its name. */
export type WebhookReplyCall = Readonly<Record<string, unknown>> & { readonly method: string };

export class WebhookReplySlot {
  #call: WebhookReplyCall | undefined;
  #closed = false;

  /** Takes `method` as the webhook's answer; false when the slot is taken or the webhook answered. */
  offer(method: string, params: Readonly<Record<string, unknown>>): boolean {
    if (this.#closed || this.#call) return false;
    this.#call = { ...params, method };
    return true;
  }

  /** Closes the slot; returns the call to answer the webhook with, if one was offered. */
  close(): WebhookReplyCall | undefined {
    this.#closed = true;
    return this.#call;
  }
}
