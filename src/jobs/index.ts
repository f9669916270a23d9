export { WorkerHeartbeat } from './heartbeat.ts';
export { crontab, type TaskServices, taskHandlers } from './tasks.ts';
export { type RunningWorker, startWorker, type Worker, type WorkerOptions } from './worker.ts';
