import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exited, stopChild, track } from './api-children.ts';

export interface ApiServer {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly baseUrl: string;
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const startTimeoutMs = 60_000;
// The server drains in-flight requests and its ledger queue before exiting; past this it is killed.
const stopGraceMs = 30_000;
const readyLine = /^ChatPay is running at (https?:\/\/\S+) \(database: /;

/**
 * `chatpay start` (everything in one process) or `chatpay serve` (the API alone, on an already
 * migrated database) in its own process, as an operator would run it, so the load driver and the server
 * never share an event loop. Resolves once the server prints the URL it serves.
 */
export async function startApiServer(
  databaseUrl: string,
  extraEnv: Readonly<Record<string, string>> = {},
  command: 'start' | 'serve' = 'start',
): Promise<ApiServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'chatpay-bench-api-'));
  const child = track(
    spawn(process.execPath, [...profileArgs(), ...serverArgs(), 'src/cli/main.ts', command], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORT: '0',
        LOG_LEVEL: 'warn',
        // 48 characters: a fresh secret per run, so no token outlives it.
        JWT_SECRET: randomBytes(36).toString('base64url'),
        CHATPAY_DATA_DIR: dataDir,
        NODE_ENV: 'development',
        // Rate limits are policy, not capacity: a few hundred users at 10 to 25 requests a second
        // each are far over them by design. Their bookkeeping still runs on every request.
        RATE_LIMIT_PER_MINUTE: '1000000',
        AUTH_RATE_LIMIT_PER_MINUTE: '100000',
        ...extraEnv,
      },
      // Its own process group: Ctrl-C reaches only the benchmark, which stops the server once.
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const stop = async () => {
    await stopChild(child, stopGraceMs);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    return { baseUrl: await servedUrl(child), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The URL from the server's ready line; every other line of its stdout goes to our stderr. */
function servedUrl(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the API did not start within ${startTimeoutMs} ms`)),
      startTimeoutMs,
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const match = readyLine.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      } else {
        process.stderr.write(`[api] ${line}\n`);
      }
    });
    exited(child).then((code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with code ${code} before it was ready`));
    });
  });
}

/**
 * Extra node flags for one child process, space-separated in the environment variable `name`:
 * BENCH_SERVER_NODE_ARGS for the server, BENCH_DRIVER_NODE_ARGS for the load driver (`--trace-gc`, say).
 */
export function nodeFlags(name: string): string[] {
  return (process.env[name] ?? '').split(' ').filter((arg) => arg !== '');
}

function serverArgs(): string[] {
  return nodeFlags('BENCH_SERVER_NODE_ARGS');
}

/**
 * BENCH_PROFILE_DIR: the server and the load driver each write a V8 CPU profile there when they stop
 * (open them in Chrome DevTools).
 */
export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}
