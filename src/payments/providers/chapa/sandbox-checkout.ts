/**
 * The sandbox's hosted checkout page: a plain form a person can use in a browser (a card number or
 * a mobile number, Pay or Cancel). `control.pay` submits this same form over HTTP.
 */
import { formatAmount } from '../../../shared/money.ts';
import { chapaTestInputs } from './sandbox-data.ts';
import { escapeHtml } from './sandbox-http.ts';

export interface CheckoutView {
  readonly action: string;
  readonly title: string;
  readonly description: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly txRef: string;
  readonly email: string | null;
}

/** The form's field names: `pay` posts them back. */
export const checkoutFields = { input: 'payment_input', action: 'action' } as const;

const style =
  'body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'h1{font-size:1.3rem}.amount{font-size:2rem;font-weight:600;margin:.5rem 0}' +
  'label{display:block;margin:1rem 0 .3rem}input{width:100%;padding:.6rem;font-size:1rem;box-sizing:border-box}' +
  'button{margin:1rem .5rem 0 0;padding:.6rem 1.2rem;font-size:1rem}.error{color:#b00020}' +
  '.hint{font-size:.85rem;color:#555}code{background:#f3f3f3;padding:0 .2rem}.badge{color:#8a6d00}';

function page(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} · Chapa test checkout</title><style>${style}</style></head><body>${content}</body></html>`;
}

export function checkoutPage(view: CheckoutView, error?: string): string {
  const amount = `${formatAmount(view.amountMinor, view.currency)} ${view.currency}`;
  const hints = [
    `<code>${chapaTestInputs.cardSuccess}</code> card, succeeds`,
    `<code>${chapaTestInputs.cardDeclined}</code> card, declined`,
    `<code>${chapaTestInputs.cardInsufficientFunds}</code> card, insufficient funds`,
    `<code>${chapaTestInputs.telebirrSuccess}</code> telebirr, succeeds`,
    `<code>${chapaTestInputs.mpesaSuccess}</code> M-Pesa, succeeds`,
    `<code>${chapaTestInputs.mobilePendingForever}</code> telebirr, never answered (stays pending)`,
  ];
  return page(
    view.title,
    `<p class="badge">TEST MODE</p><h1>${escapeHtml(view.title)}</h1><p>${escapeHtml(view.description)}</p>` +
      `<p class="amount">${escapeHtml(amount)}</p><p class="hint">Reference ${escapeHtml(view.txRef)}` +
      `${view.email ? ` · ${escapeHtml(view.email)}` : ''}</p>` +
      (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '') +
      `<form method="post" action="${escapeHtml(view.action)}">` +
      `<label for="${checkoutFields.input}">Card number or mobile number</label>` +
      `<input id="${checkoutFields.input}" name="${checkoutFields.input}" autocomplete="off" inputmode="numeric">` +
      `<button type="submit" name="${checkoutFields.action}" value="pay">Pay ${escapeHtml(amount)}</button>` +
      `<button type="submit" name="${checkoutFields.action}" value="cancel" formnovalidate>Cancel</button></form>` +
      `<p class="hint">Test inputs:</p><ul class="hint">${hints.map((h) => `<li>${h}</li>`).join('')}</ul>`,
  );
}

export function resultPage(title: string, text: string): string {
  return page(title, `<p class="badge">TEST MODE</p><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}
