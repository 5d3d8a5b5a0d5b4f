import pretty from "pino-pretty";
import { createLogger, type Logger } from "#kit/logger";
import type { SupervisorOutput } from "./supervisor";

/**
 * The launcher's output on stdout: each line a process prints, named by its service. The services
 * log JSON lines that carry their `service` already (passed on as they are, or made readable when
 * stdout is a terminal); any other line (PostgreSQL's log, a crash's stack trace) is logged as a
 * line of that process. The launcher's own messages come from the `stack` logger.
 */
export function stdoutOutput(): SupervisorOutput {
  const readable = process.stdout.isTTY
    ? pretty.prettyFactory({
        colorize: true,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname",
      })
    : null;
  const loggers = new Map<string, Logger>();
  const loggerOf = (name: string) => {
    let logger = loggers.get(name);
    if (!logger) loggers.set(name, (logger = createLogger(name)));
    return logger;
  };
  const stack = createLogger("stack");
  return {
    line(name, stream, text) {
      const entry = parseLogLine(text);
      if (entry) {
        process.stdout.write(readable ? readable(entry) : `${text}\n`);
        return;
      }
      if (text.trim() === "") return;
      if (stream === "stderr") loggerOf(name).warn(text);
      else loggerOf(name).info(text);
    },
    event(name, level, message) {
      if (level === "error") stack.error(message);
      else stack[level](message, { process: name });
    },
  };
}

/** A service's JSON log line (an object with a `service`), or null for any other line. */
function parseLogLine(text: string): Record<string, unknown> | null {
  if (!text.startsWith("{")) return null;
  try {
    const entry = JSON.parse(text) as unknown;
    return entry && typeof entry === "object" && "service" in entry
      ? (entry as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
