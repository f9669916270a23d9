/**
 * The sandbox's hosted Checkout page at `session.url`: a plain HTML card form a person can use in a
 * browser with a test card, and that `SandboxControl.pay` submits over HTTP. A success redirects to
 * the session's success_url (303); a decline shows the card error and the form again, the session
 * still open, as Stripe Checkout does.
 */
import { decodeForm, FormError } from './form.ts';
import type { SandboxState, Session } from './sandbox-state.ts';
import { cardByNumber, luhnValid, testCards } from './test-cards.ts';
import { stripeDecimals } from './transformers.ts';

export interface PageAnswer {
  readonly status: number;
  readonly html: string;
  readonly location?: string;
}

export const checkoutPathPattern = /^\/c\/pay\/(cs_test_[A-Za-z0-9]+)$/;

export function checkoutPage(state: SandboxState, sessionId: string): PageAnswer {
  const session = state.sessions.has(sessionId) ? state.session(sessionId) : undefined;
  if (!session)
    return { status: 404, html: page('Not found', '<p>This Checkout Session does not exist.</p>') };
  if (session.status !== 'open') return closedPage(session);
  return { status: 200, html: formPage(session) };
}

/** The payer submits the form: card number, expiry, CVC, email, name. */
export function submitCheckout(state: SandboxState, sessionId: string, body: string): PageAnswer {
  const session = state.sessions.has(sessionId) ? state.session(sessionId) : undefined;
  if (!session)
    return { status: 404, html: page('Not found', '<p>This Checkout Session does not exist.</p>') };
  if (session.status !== 'open') return closedPage(session);
  let form: Record<string, unknown>;
  try {
    form = decodeForm(body);
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    return { status: 400, html: formPage(session, 'The form could not be read.') };
  }
  const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
  const number = text('cardNumber').replace(/[\s-]/g, '');
  if (!luhnValid(number)) return { status: 400, html: formPage(session, 'Your card number is incorrect.') };
  if (!futureExpiry(text('cardExpiry')))
    return {
      status: 400,
      html: formPage(session, "Your card's expiration date is incomplete or in the past."),
    };
  if (!/^[0-9]{3,4}$/.test(text('cardCvc')))
    return { status: 400, html: formPage(session, "Your card's security code is incomplete.") };
  const email = session.customer_email ?? text('email');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
    return { status: 400, html: formPage(session, 'Your email address is invalid.') };
  const card = cardByNumber(number);
  if (!card) {
    return {
      status: 402,
      html: formPage(
        session,
        'Your card was declined. Your request was in test mode, but used a non test card.',
      ),
    };
  }
  const result = state.payCheckout(session, card, { email, name: text('billingName') || null });
  switch (result.type) {
    case 'succeeded': {
      const location =
        session.success_url?.replace('{CHECKOUT_SESSION_ID}', session.id) ?? `/c/pay/${session.id}`;
      return {
        status: 303,
        html: page('Redirecting', `<p>Paid. <a href="${escapeHtml(location)}">Continue</a></p>`),
        location,
      };
    }
    case 'declined':
      return { status: 402, html: formPage(session, result.error.message ?? 'Your card was declined.') };
    case 'requires_action':
      return {
        status: 200,
        html: page(
          'Authentication required',
          '<p>Your bank asks you to authenticate this payment (3D Secure). The sandbox does not simulate the challenge: the session stays open and unpaid.</p>',
        ),
      };
  }
}

function futureExpiry(text: string): boolean {
  const match = /^(0[1-9]|1[0-2])\s*\/\s*([0-9]{2})$/.exec(text);
  if (!match) return false;
  const now = new Date();
  const year = 2000 + Number(match[2]);
  const month = Number(match[1]);
  return year > now.getUTCFullYear() || (year === now.getUTCFullYear() && month >= now.getUTCMonth() + 1);
}

function closedPage(session: Session): PageAnswer {
  const message =
    session.status === 'complete'
      ? '<p>Your payment is complete. You can close this page.</p>'
      : '<p>This Checkout Session has expired. Return to the merchant to start again.</p>';
  return { status: session.status === 'complete' ? 200 : 410, html: page('Checkout', message) };
}

function displayAmount(session: Session): string {
  const currency = (session.currency ?? 'usd').toUpperCase();
  const decimals = stripeDecimals(currency);
  const minor = BigInt(session.amount_total ?? 0);
  const digits = minor.toString().padStart(decimals + 1, '0');
  const major = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return `${currency} ${major}`;
}

function formPage(session: Session, error?: string): string {
  const expiry = `12 / ${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
  const email = session.customer_email
    ? `<p>Paying as <strong>${escapeHtml(session.customer_email)}</strong></p>`
    : '<label>Email <input name="email" type="email" autocomplete="email" required></label>';
  const hints = testCards
    .map((card) => `<li><code>${card.number}</code> ${describeOutcome(card.outcome)}</li>`)
    .join('');
  const cancel = session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">← Back</a></p>` : '';
  return page(
    `Pay ${displayAmount(session)}`,
    `<h1>Pay ${escapeHtml(displayAmount(session))}</h1>
${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/c/pay/${escapeHtml(session.id)}">
${email}
<label>Card number <input name="cardNumber" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" required></label>
<label>Expiry <input name="cardExpiry" autocomplete="cc-exp" value="${expiry}" required></label>
<label>CVC <input name="cardCvc" inputmode="numeric" autocomplete="cc-csc" value="123" required></label>
<label>Name on card <input name="billingName" autocomplete="cc-name"></label>
<button type="submit">Pay</button>
</form>
${cancel}
<details><summary>Test cards</summary><ul>${hints}</ul></details>`,
  );
}

function describeOutcome(outcome: (typeof testCards)[number]['outcome']): string {
  switch (outcome.type) {
    case 'succeed':
      return 'succeeds';
    case 'decline':
      return `declines (${outcome.declineCode ?? outcome.code})`;
    case 'authenticate':
      return 'asks for 3D Secure (stays open)';
  }
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Stripe sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem;font-size:1rem}button{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#b00020}</style>
</head><body>
${body}
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
