/**
 * The web chat simulator: one self-contained page that plays a Telegram user against the sandbox's
 * `/sandbox/users` endpoints (relative URLs, so it also works behind the lead's `/simulator` proxy).
 * Plain HTML controls keep it keyboard- and screen-reader-usable: the message list is a live log,
 * every control has a label, and answers to button presses are announced.
 */

const styles = `
*{box-sizing:border-box}body{margin:0;font:16px/1.4 system-ui,sans-serif;background:#e7ebf0;color:#111}
main{max-width:44rem;margin:0 auto;display:flex;flex-direction:column;height:100vh;background:#fff}
header{display:flex;gap:.75rem;align-items:center;padding:.5rem .75rem;background:#2a6fb0;color:#fff;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0;flex:1}header label{font-size:.9rem}
#log{flex:1;overflow-y:auto;padding:.75rem;list-style:none;margin:0;display:flex;flex-direction:column;gap:.5rem}
.msg{max-width:80%;padding:.5rem .75rem;border-radius:.75rem;white-space:pre-wrap;overflow-wrap:anywhere}
.bot{align-self:flex-start;background:#f1f3f5}.user{align-self:flex-end;background:#d9f2c8}
.deleted{font-style:italic;color:#555}.meta{display:block;font-size:.75rem;color:#555}
.kb{display:grid;gap:.25rem;margin-top:.4rem}.kb div{display:flex;gap:.25rem}
.kb button,.kb a{flex:1;padding:.4rem;border:1px solid #2a6fb0;border-radius:.4rem;background:#fff;color:#1b4f80;text-align:center;text-decoration:none;font:inherit}
button{cursor:pointer}:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
#status{min-height:1.4rem;padding:0 .75rem;font-size:.9rem;color:#333}
#reply-kb{padding:0 .75rem}#reply-kb:empty{display:none}
form{display:flex;gap:.5rem;padding:.75rem;border-top:1px solid #ccd}
form input{flex:1;padding:.5rem;font:inherit}form button,header button{padding:.5rem .9rem;font:inherit}
.invoice{border:1px solid #bbb;border-radius:.5rem;padding:.5rem;background:#fff}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

const script = String.raw`
const KEY = 'chatpay-sandbox-user';
const $ = (id) => document.getElementById(id);
const log = $('log'), status = $('status'), alertBox = $('alert'), text = $('text'), lang = $('lang');
let user, version = 0;

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || 'HTTP ' + response.status);
  return data;
}

async function start() {
  const wanted = new URLSearchParams(location.search).get('user') || localStorage.getItem(KEY);
  if (wanted) user = await call('users/' + wanted).catch(() => undefined);
  if (!user) {
    const name = new URLSearchParams(location.search).get('name') || 'Test';
    user = await call('users', { first_name: name, language_code: lang.value });
  }
  localStorage.setItem(KEY, String(user.id));
  lang.value = user.language_code;
  $('who').textContent = user.first_name + ' (id ' + user.id + ')';
  text.focus();
  for (;;) {
    try { apply(await call('users/' + user.id + '/messages?after=' + version)); }
    catch (error) { status.textContent = 'Connection lost, retrying…'; await new Promise((r) => setTimeout(r, 2000)); }
  }
}

const allowed = new Set(['B','STRONG','I','EM','U','INS','S','STRIKE','DEL','CODE','PRE','A','BLOCKQUOTE','TG-SPOILER','SPAN']);
function clean(node, into) {
  for (const child of node.childNodes) {
    if (child.nodeType === 3) { into.append(child.textContent); continue; }
    if (child.nodeType !== 1) continue;
    let el = into;
    if (allowed.has(child.tagName)) {
      el = document.createElement(child.tagName === 'TG-SPOILER' || child.tagName === 'SPAN' ? 'mark' : child.tagName);
      const href = child.getAttribute('href');
      if (child.tagName === 'A' && href && /^(https?:|tg:)/.test(href)) { el.href = href; el.target = '_blank'; el.rel = 'noopener'; }
      into.append(el);
    }
    clean(child, el);
  }
}
function renderText(entry, into) {
  const raw = entry.message.text || entry.message.caption || '';
  if (entry.parse_mode && entry.parse_mode.toLowerCase() === 'html') {
    clean(new DOMParser().parseFromString('<body>' + raw + '</body>', 'text/html').body, into);
  } else if (entry.parse_mode && entry.parse_mode.toLowerCase().startsWith('markdown')) {
    into.append(raw.replace(/\\(.)/g, '$1').replace(/(\*|__|_|~|\|\||\x60)/g, ''));
  } else into.append(raw);
}
function money(amount, currency) {
  return currency === 'XTR' ? amount + ' ⭐' : (amount / 100).toFixed(2) + ' ' + currency;
}
function button(label, onClick) {
  const b = document.createElement('button'); b.type = 'button'; b.textContent = label;
  b.addEventListener('click', () => onClick().catch((e) => { alertBox.textContent = e.message; }));
  return b;
}

function render(entry) {
  const m = entry.message;
  const li = document.createElement('li');
  li.id = 'm' + m.message_id;
  li.className = 'msg ' + entry.sender + (entry.deleted ? ' deleted' : '');
  const who = document.createElement('span'); who.className = 'sr-only';
  who.textContent = entry.sender === 'bot' ? 'Bot: ' : 'You: ';
  li.append(who);
  if (entry.deleted) { li.append('This message was deleted'); return li; }
  renderText(entry, li);
  if (m.contact) li.append('📞 ' + m.contact.phone_number);
  if (m.successful_payment) li.append('✅ Paid ' + money(m.successful_payment.total_amount, m.successful_payment.currency));
  if (m.refunded_payment) li.append('↩️ Refunded ' + money(m.refunded_payment.total_amount, 'XTR'));
  if (m.invoice) {
    const card = document.createElement('div'); card.className = 'invoice';
    const title = document.createElement('strong'); title.textContent = m.invoice.title;
    card.append(title, document.createElement('br'), m.invoice.description, document.createElement('br'),
      button('Pay ' + money(m.invoice.total_amount, m.invoice.currency), () => pay(m.message_id)));
    li.append(card);
  }
  if (m.edit_date) { const e = document.createElement('span'); e.className = 'meta'; e.textContent = 'edited'; li.append(e); }
  const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  if (rows.length) {
    const kb = document.createElement('div'); kb.className = 'kb'; kb.setAttribute('role', 'group');
    kb.setAttribute('aria-label', 'Buttons');
    for (const row of rows) {
      const r = document.createElement('div');
      for (const b of row) {
        if (b.url) { const a = document.createElement('a'); a.href = b.url; a.target = '_blank'; a.rel = 'noopener'; a.textContent = b.text; r.append(a); }
        else if (b.callback_data !== undefined) r.append(button(b.text, () => call('users/' + user.id + '/callbacks', { message_id: m.message_id, data: b.callback_data })));
        else if (b.pay) r.append(button(b.text, () => pay(m.message_id)));
      }
      kb.append(r);
    }
    li.append(kb);
  }
  return li;
}

async function pay(messageId) {
  status.textContent = 'Paying…';
  const outcome = await call('users/' + user.id + '/payments', { message_id: messageId });
  status.textContent = outcome.status === 'paid' ? 'Payment sent.' : outcome.status === 'declined' ? 'Payment declined: ' + outcome.errorMessage : 'The bot did not confirm in time.';
}

function apply(feed) {
  for (const entry of feed.messages) {
    const old = document.getElementById('m' + entry.message.message_id);
    const li = render(entry);
    if (old) old.replaceWith(li); else log.append(li);
  }
  if (feed.messages.length) log.scrollTop = log.scrollHeight;
  for (const n of feed.notices) {
    if (!n.text) continue;
    if (n.showAlert) alertBox.textContent = n.text; else status.textContent = n.text;
  }
  if (feed.action) status.textContent = 'Bot is ' + feed.action.replace(/_/g, ' ') + '…';
  else if (status.textContent.startsWith('Bot is')) status.textContent = '';
  const kb = $('reply-kb'); kb.textContent = '';
  if (feed.reply_keyboard) {
    const box = document.createElement('div'); box.className = 'kb'; box.setAttribute('role', 'group'); box.setAttribute('aria-label', 'Reply keyboard');
    for (const row of feed.reply_keyboard.keyboard) {
      const r = document.createElement('div');
      for (const b of row) r.append(button(b.text, () => b.request_contact ? shareContact() : send(b.text)));
      box.append(r);
    }
    kb.append(box);
  }
  text.placeholder = (feed.force_reply && feed.force_reply.placeholder) || 'Write a message…';
  version = feed.version;
}

async function send(value) {
  await call('users/' + user.id + '/messages', { text: value });
}
async function shareContact() {
  const phone = window.prompt('Phone number to share', '+251911234567');
  if (phone) await call('users/' + user.id + '/contact', { phone_number: phone });
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = text.value;
  if (!value.trim()) return;
  try { await send(value); text.value = ''; alertBox.textContent = ''; } catch (e) { alertBox.textContent = e.message; }
  text.focus();
});
lang.addEventListener('change', () => user && call('users/' + user.id + '/language', { language_code: lang.value }));
$('contact').addEventListener('click', () => shareContact().catch((e) => { alertBox.textContent = e.message; }));
$('reset').addEventListener('click', () => { localStorage.removeItem(KEY); location.search = ''; });
start().catch((e) => { alertBox.textContent = 'Could not start: ' + e.message; });
`;

export function chatPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ChatPay Telegram simulator</title>
<style>${styles}</style>
</head>
<body>
<main>
<header>
<h1>ChatPay bot <span class="meta" id="who"></span></h1>
<label for="lang">Language</label>
<select id="lang"><option value="en">English</option><option value="am">አማርኛ (Amharic)</option><option value="sw">Kiswahili</option></select>
<button type="button" id="contact">Share phone number</button>
<button type="button" id="reset">New chat</button>
</header>
<ol id="log" role="log" aria-live="polite" aria-label="Messages"></ol>
<div id="status" role="status" aria-live="polite"></div>
<div id="alert" role="alert"></div>
<div id="reply-kb"></div>
<form id="composer">
<label class="sr-only" for="text">Message</label>
<input id="text" autocomplete="off" placeholder="Write a message…" maxlength="4096">
<button type="submit">Send</button>
</form>
</main>
<script>${script}</script>
</body>
</html>`;
}
