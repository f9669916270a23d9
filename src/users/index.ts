export {
  type ConsoleSession,
  type ConsoleSessionOptions,
  ConsoleSessions,
  type SignInStep,
} from './console-sessions.ts';
export { looksLikePhone, normalizeEmail, normalizePhone } from './contacts.ts';
export { assertNotFrozen, type FreezeState, freezeState, freezeUser, unfreezeUser } from './freeze.ts';
export {
  detectContentType,
  Kyc,
  type KycContentType,
  type KycDocumentLevel,
  type KycDocumentView,
  type KycKind,
  type KycLevel,
  type KycOptions,
  kycKinds,
  kycLevels,
  kycMaxBytesDefault,
  kycPendingMax,
  kycStatuses,
  type OperatorKycDocumentView,
} from './kyc.ts';
export { S3KycStorage, type S3StorageOptions, signV4 } from './kyc-s3.ts';
export { FileKycStorage, type KycStorage } from './kyc-storage.ts';
export {
  changeRole,
  createOperator,
  getOperator,
  listOperators,
  type OperatorView,
  resetTotp,
} from './operators.ts';
export { hashSecret, verifySecret } from './passwords.ts';
export { checkPin, pinAttemptsMax, pinLockMinutes, replaceVerifiedPin, setPin } from './pin.ts';
export { type AccessClaims, type TokenOptions, type TokenPair, Tokens } from './tokens.ts';
export { newTotpSecret, totpCode, totpEnrolment, totpStep } from './totp.ts';
export { operatorRoles, type RegisterInput, type Role, roles, type User, Users } from './users.ts';
