#!/usr/bin/env node
import { loadConfig } from '../config/load.ts';
import { isChatPayError } from '../shared/errors.ts';
import { createLogger } from '../shared/logger.ts';
import { type Command, commands } from './commands.ts';

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return `Usage: chatpay <command> [--help]\n\nCommands:\n${lines.join('\n')}\n`;
}

function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const command = commands[argv.slice(0, words).join(' ')];
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

async function main(argv: readonly string[]): Promise<number | 'running'> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    process.stderr.write(`chatpay: unknown command "${argv.join(' ')}"\n\n${usage()}`);
    return 2;
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    process.stdout.write(`Usage: ${found.command.usage}\n\n${found.command.help}\n`);
    return 0;
  }
  if (found.rest.length > 0 && !found.command.acceptsArguments) {
    process.stderr.write(`chatpay: unexpected arguments: ${found.rest.join(' ')}\n`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, { envFile: '.env' });
  } catch (error) {
    if (isChatPayError(error, 'config_invalid')) {
      process.stderr.write(`chatpay: ${error.message}\n`);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  return found.command.run(config, logger, found.rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 'running') process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chatpay: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
