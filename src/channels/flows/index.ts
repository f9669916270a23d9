export {
  commandNames,
  type EngineResult,
  FlowEngine,
  type FlowEngineOptions,
  flows,
  type IncomingUpdate,
} from './engine.ts';
export { isLanguage, type Language, languageNames, languages, type MessageKey, messages, t } from './i18n.ts';
export {
  type ChatNotice,
  type DeliveryClaim,
  deliveriesRetentionHours,
  enqueueNotice,
  enqueueNoticeForChats,
  NoticeDeliveries,
  noticeForEvent,
  noticeOf,
  purgeNoticeDeliveries,
} from './notices.ts';
export type { Button, Channel, ChatEvent, FlowServices, OutMessage } from './types.ts';
