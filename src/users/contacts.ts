import { parsePhoneNumberWithError } from 'libphonenumber-js';
import { ChatPayError } from '../shared/errors.ts';

const emailPattern = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,}$/;

export function normalizeEmail(email: string, param = 'email'): string {
  const normalized = email.trim().toLowerCase();
  if (!emailPattern.test(normalized) || normalized.length > 254) {
    throw new ChatPayError('validation_failed', { param, message: 'The email address is not valid.' });
  }
  return normalized;
}

/** E.164 (`+251911234567`). Numbers must carry their country code. */
export function normalizePhone(phone: string, param = 'phone'): string {
  try {
    const parsed = parsePhoneNumberWithError(phone);
    if (!parsed.isValid()) throw new Error('invalid');
    return parsed.number;
  } catch {
    throw new ChatPayError('phone_invalid', { param });
  }
}

export function looksLikePhone(text: string): boolean {
  return /^\+?[0-9 ()-]{7,20}$/.test(text);
}
