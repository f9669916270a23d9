import type { UserSummary } from '../../types.ts';

/** Field names the user routes may use; read defensively (docs/console.md does not fix them). */
export function telegramOf(user: UserSummary): string | null {
  if (user.telegram_username) return user.telegram_username;
  const identity = user.identities?.find((i) => i.provider === 'telegram');
  return identity?.username ?? null;
}

export function kycLevelOf(user: UserSummary): string {
  return user.kyc_level ?? user.kyc?.level ?? 'none';
}

export function isFrozen(user: UserSummary): boolean {
  return user.frozen === true || (user.frozen === undefined && Boolean(user.frozen_at));
}
