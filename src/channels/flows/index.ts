export {
  type Channel,
  commandNames,
  type EngineResult,
  FlowEngine,
  type FlowEngineOptions,
  flows,
  type IncomingUpdate,
} from './engine.ts';
export { isLanguage, type Language, languageNames, languages, type MessageKey, messages, t } from './i18n.ts';
export type { Button, ChatEvent, FlowServices, Notice, OutMessage } from './types.ts';
