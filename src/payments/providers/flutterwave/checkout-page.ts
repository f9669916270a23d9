/**
 * The sandbox's hosted checkout: a minimal page a person can use in a browser (a card form, with the
 * documented test card prefilled) and that `SandboxControl.pay` submits over HTTP, field for field.
 */
import { testCards } from './sandbox-data.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface CheckoutView {
  readonly token: string;
  readonly amount: string;
  readonly currency: string;
  readonly title: string;
  readonly description: string;
  readonly email: string;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.6rem 0}input{display:block;width:100%;padding:.4rem;font-size:1rem}
button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}small{color:#555}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function checkoutPage(view: CheckoutView): string {
  const action = `/v3/hosted/pay/${encodeURIComponent(view.token)}`;
  const cards = Object.entries(testCards)
    .map(([number, outcome]) => `<li><code>${number}</code> ${escapeHtml(outcome.processorResponse)}</li>`)
    .join('\n');
  return page(
    'Flutterwave Checkout (sandbox)',
    `<main>
<h1>${escapeHtml(view.title)}</h1>
<p>${escapeHtml(view.description)}</p>
<p>Pay <strong>${escapeHtml(view.currency)} ${escapeHtml(view.amount)}</strong> as ${escapeHtml(view.email)}</p>
<form method="post" action="${action}">
<label>Card number <input name="card_number" inputmode="numeric" autocomplete="cc-number" value="5531886652142950" required></label>
<label>Expiry (MM/YY) <input name="expiry" value="09/32"></label>
<label>CVV <input name="cvv" inputmode="numeric" value="564"></label>
<label>PIN <input name="pin" inputmode="numeric" value="3310"></label>
<label>OTP <input name="otp" inputmode="numeric" value="12345"><small>Leave empty to abandon at the OTP step (the charge stays pending). 5548: wrong OTP, 6648: insufficient funds.</small></label>
<button type="submit">Pay ${escapeHtml(view.currency)} ${escapeHtml(view.amount)}</button>
</form>
<p><a href="${action}/cancel">Cancel payment</a></p>
<details><summary>Test cards</summary><ul>
${cards}
</ul></details>
</main>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main>`);
}
