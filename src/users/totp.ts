/**
 * Time-based one-time passwords (RFC 6238) for operators: SHA-1, 6 digits, 30-second steps — what
 * every authenticator app reads from an `otpauth://` URL. One step of clock drift is accepted either
 * side, and the caller records the step a code was accepted at so that no code works twice.
 */
import { Secret as OtpSecret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const periodSeconds = 30;
const digits = 6;
/** Steps accepted either side of now: one, as RFC 6238 §5.2 recommends for network delay. */
const driftSteps = 1;

export function newTotpSecret(): string {
  return new OtpSecret({ size: 20 }).base32;
}

function totp(secretBase32: string, label = 'operator'): TOTP {
  return new TOTP({
    issuer: 'ChatPay',
    label,
    algorithm: 'SHA1',
    digits,
    period: periodSeconds,
    secret: OtpSecret.fromBase32(secretBase32),
  });
}

/** The enrolment an authenticator app scans: the `otpauth://` URL and the same as an SVG QR code. */
export async function totpEnrolment(
  secretBase32: string,
  label: string,
): Promise<{ otpauthUrl: string; qrSvg: string }> {
  const otpauthUrl = totp(secretBase32, label).toString();
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { otpauthUrl, qrSvg };
}

/**
 * The time step at which `code` is valid for `secret` (within the drift window), or undefined. The
 * caller accepts it only if the step is later than the last one accepted for this operator.
 */
export function totpStep(secretBase32: string, code: string, nowMs = Date.now()): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: driftSteps });
  if (delta === null) return undefined;
  return Math.floor(nowMs / 1000 / periodSeconds) + delta;
}

/** The code for a time (tests, and the sandbox's "authenticator"). */
export function totpCode(secretBase32: string, nowMs = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}
