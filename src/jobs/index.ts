export { crontab, type TaskServices, taskHandlers } from './tasks.ts';
export { startWorker, type Worker, type WorkerOptions } from './worker.ts';
