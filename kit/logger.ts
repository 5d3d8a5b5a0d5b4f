import type { Writable } from "node:stream";
import pino from "pino";
import pretty from "pino-pretty";

/** A service's logger: structured JSON lines (pino), tagged with the service name. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, error?: unknown): void;
}

/** Where log lines go: stdout (pretty in a terminal, JSON otherwise), or a test's stream. */
let destination: Writable | undefined;
let root: pino.Logger | undefined;

/**
 * The process's root logger. `LOG_LEVEL` chooses the level (`silent` for none; default `info`);
 * output is one JSON object per line, or coloured readable lines when stdout is a terminal.
 */
function rootLogger(): pino.Logger {
  if (root) return root;
  const level = process.env.LOG_LEVEL || "info";
  const stream =
    destination ??
    (process.stdout.isTTY
      ? pretty({ colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" })
      : process.stdout);
  root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return root;
}

/**
 * Sends every later log line to `stream` as JSON (tests read them there); `undefined` restores
 * stdout.
 */
export function setLogDestination(stream: Writable | undefined): void {
  destination = stream;
  root = undefined;
  for (const logger of loggers.values()) logger.reset();
}

const loggers = new Map<string, { reset(): void }>();

export function createLogger(service: string): Logger {
  let logger: pino.Logger | undefined;
  const current = () => (logger ??= rootLogger().child({ service }));
  loggers.set(service, { reset: () => (logger = undefined) });
  return {
    info: (message, fields) => current().info(fields ?? {}, message),
    warn: (message, fields) => current().warn(fields ?? {}, message),
    error: (message, error) => current().error(error === undefined ? {} : { err: error }, message),
  };
}
