import type { ChildProcess } from 'node:child_process';

// Every child still running. On any exit of the benchmark (success, crash, Ctrl-C) they are killed, so
// no server or load driver outlives the run.
const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Kills the child when the benchmark exits, unless it has exited first. */
export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Asks every running child to stop (a signal to the benchmark ends the run through its cleanup). */
export function signalAll(signal: NodeJS.Signals): void {
  for (const child of running) child.kill(signal);
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, then SIGKILL if the child is still running after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  const done = exited(child);
  // Once is enough: a second SIGTERM makes `chatpay start` skip its graceful shutdown.
  if (!child.killed) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}
