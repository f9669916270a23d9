export {
  type ConsoleSession,
  type ConsoleSessionOptions,
  ConsoleSessions,
  type SignInStep,
} from './console-sessions.ts';
export { looksLikePhone, normalizeEmail, normalizePhone } from './contacts.ts';
export { hashSecret, verifySecret } from './passwords.ts';
export { checkPin, pinAttemptsMax, pinLockMinutes, replaceVerifiedPin, setPin } from './pin.ts';
export { type AccessClaims, type TokenOptions, type TokenPair, Tokens } from './tokens.ts';
export { newTotpSecret, totpCode, totpEnrolment, totpStep } from './totp.ts';
export { operatorRoles, type RegisterInput, type Role, roles, type User, Users } from './users.ts';
