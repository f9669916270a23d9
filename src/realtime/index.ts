export { type EventBus, type RealtimeEvent, type RealtimeEventType, realtimeEventTypes } from './events.ts';
export { MemoryEventBus } from './memory-bus.ts';
export { defaultChannelPrefix, RedisEventBus, type RedisEventBusOptions } from './redis-bus.ts';
export { defaultRealtimeLimits, type RealtimeLimits, registerRealtime, registerWebSocket } from './routes.ts';
