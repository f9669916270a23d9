export { type EventBus, type RealtimeEvent, type RealtimeEventType, realtimeEventTypes } from './events.ts';
export { MemoryEventBus } from './memory-bus.ts';
